// What to do with each alert: pure decisions over the store, run inside one transaction per
// message. Nothing here touches the outside world; effects are queued in the outbox.
import type { Breaker } from "./breaker.js";
import type { QuarantineMetrics } from "./metrics.js";
import type { QuarantineRequest } from "./payload.js";
import type { Actor, Store } from "./store.js";

export interface PolicyOptions {
  /** Names of the configured actions; each intent gets one outbox row per action. */
  actions: readonly string[];
  dryRun: boolean;
  optOutHosts: ReadonlySet<string>;
  /** Quarantine the whole node once this many of its GPUs are quarantined; 0 turns it off. */
  escalateAfter: number;
}

export type Outcome =
  | "quarantined"
  | "already_quarantined"
  | "duplicate"
  | "stale"
  | "superseded"
  | "suppressed"
  | "opted_out"
  | "dry_run"
  | "resolved";

export interface AlertResult {
  fingerprint: string;
  uuid: string;
  host: string;
  status: "firing" | "resolved";
  outcome: Outcome;
  /** Set when the node was escalated or its escalation refused. */
  node?: "quarantined" | "suppressed" | "dry_run";
  reason?: string;
  /** The GPU is not in the trusted inventory (set only when one lists UUIDs). */
  outsideInventory?: true;
}

/** What every result and audit entry about `request` starts from. */
function subject(request: QuarantineRequest) {
  return {
    base: {
      fingerprint: request.fingerprint,
      uuid: request.uuid,
      host: request.host,
      status: request.status,
    },
    where: { uuid: request.uuid, host: request.host, alertKey: request.key },
  };
}

export class Policy {
  constructor(
    private readonly store: Store,
    private readonly breaker: Breaker,
    private readonly options: PolicyOptions,
    private readonly metrics: QuarantineMetrics,
  ) {}

  /**
   * Whether an earlier decision for the same alert instance still holds. Suppressed
   * decisions never settle, so that Alertmanager's repeat after a breaker reset acts; a
   * dry run or an opt-out settles only while that setting is still in force.
   */
  private settled(decision: string, host: string): boolean {
    if (decision === "quarantined" || decision === "already_quarantined") return true;
    if (decision === "dry_run") return this.options.dryRun;
    if (decision === "opted_out") return this.options.optOutHosts.has(host);
    return false;
  }

  handle(requests: readonly QuarantineRequest[], now: number): AlertResult[] {
    // With --fleet-size alone there is no list of UUIDs to hold an alert against.
    const listed = this.store.inventoryCount() > 0;
    return requests.map((request) => {
      const result =
        request.status === "firing"
          ? this.firing(request, listed, now)
          : this.resolved(request, now);
      this.metrics.alerts.inc({ outcome: result.outcome });
      return result;
    });
  }

  private firing(request: QuarantineRequest, listed: boolean, now: number): AlertResult {
    const { store } = this;
    const { base, where } = subject(request);
    // For the host only: the share limit counts trusted inventory, never alerts' UUIDs.
    store.learnGpu(request.uuid, request.host, now);

    const previous = store.instance(request.key);
    if (previous?.resolvedAt != null) {
      // Same fingerprint and startsAt as an episode already resolved: a late or re-sent
      // message (e.g. after Alertmanager lost its notification log). A new episode would
      // carry a new startsAt.
      store.touchInstance(request.key, now);
      store.audit("alertmanager", "stale_firing", where, now);
      return { ...base, outcome: "stale" };
    }
    const resolved = store.latestResolvedEpisode(request.fingerprint, request.uuid);
    if (resolved && request.startsAtUtc <= resolved.startsAt) {
      // An episode that started no later than one already resolved is over too: Alertmanager
      // delivered its firing message late (it retries, and groups flush independently).
      // Checked before `settled`, so that an old suppressed episode cannot act later either.
      if (previous) store.touchInstance(request.key, now);
      store.audit(
        "alertmanager",
        "superseded_firing",
        {
          ...where,
          detail: {
            startsAt: request.startsAt,
            resolvedStartsAt: resolved.startsAt,
            resolvedEndsAt: resolved.endsAt,
          },
        },
        now,
      );
      return { ...base, outcome: "superseded" };
    }
    if (previous && this.settled(previous.decision, request.host)) {
      store.touchInstance(request.key, now);
      store.audit(
        "alertmanager",
        "duplicate",
        { ...where, detail: { decision: previous.decision } },
        now,
      );
      return { ...base, outcome: "duplicate" };
    }

    const instance = { ...request };
    // Still acted on, within the limit the inventory sets; counted so that alerts for GPUs
    // the exporters never reported (a relabelling mistake, or forged alerts) show.
    const outsideInventory = listed && !store.inInventory(request.uuid);
    if (outsideInventory) this.metrics.outsideInventory.inc();
    let outcome: Outcome;
    let reason: string | undefined;
    if (this.options.optOutHosts.has(request.host)) {
      outcome = "opted_out";
      store.audit("alertmanager", "opted_out", where, now);
    } else if (store.gpu(request.uuid)?.quarantined === 1) {
      outcome = "already_quarantined";
      store.audit("alertmanager", "already_quarantined", where, now);
    } else if (this.options.dryRun) {
      outcome = "dry_run";
      store.audit(
        "alertmanager",
        "would_quarantine",
        { ...where, detail: { alertname: request.alertname } },
        now,
      );
    } else {
      const refusal = this.breaker.admit(1, now);
      if (refusal) {
        outcome = "suppressed";
        reason = refusal;
        this.metrics.suppressed.inc({ reason: refusal });
        store.audit("alertmanager", "suppressed", { ...where, detail: { reason: refusal } }, now);
      } else {
        outcome = "quarantined";
        store.setGpuQuarantined(request, request.alertname, request.key, now);
        store.enqueue(
          this.options.actions,
          { op: "apply", scope: "gpu", ...request, reason: request.alertname },
          now,
        );
        store.audit(
          "alertmanager",
          "quarantine",
          {
            ...where,
            detail: { alertname: request.alertname, severity: request.severity, gpu: request.gpu },
          },
          now,
        );
      }
    }
    store.recordFiring(instance, outcome, now);

    const result: AlertResult = {
      ...base,
      outcome,
      ...(reason ? { reason } : {}),
      ...(outsideInventory ? { outsideInventory: true as const } : {}),
    };
    if (outcome === "quarantined" || outcome === "already_quarantined") {
      const node = this.escalate(request, now);
      if (node) result.node = node;
    }
    return result;
  }

  private escalate(request: QuarantineRequest, now: number): AlertResult["node"] {
    const { store } = this;
    if (store.nodeQuarantined(request.host)) return undefined;
    const count = store.hostGpus(request.host).length;
    const wanted =
      request.nodeScope || (this.options.escalateAfter > 0 && count >= this.options.escalateAfter);
    if (!wanted) return undefined;
    const where = { host: request.host, alertKey: request.key };
    if (this.options.dryRun) {
      store.audit("alertmanager", "would_quarantine_node", where, now);
      return "dry_run";
    }
    const refusal = this.breaker.admit(store.otherKnownGpusOnHost(request.host), now);
    if (refusal) {
      this.metrics.suppressed.inc({ reason: refusal });
      store.audit(
        "alertmanager",
        "suppressed",
        { ...where, detail: { reason: refusal, scope: "node" } },
        now,
      );
      return "suppressed";
    }
    const reason = request.nodeScope ? request.alertname : `${count} GPUs quarantined`;
    store.setNodeQuarantined(request.host, true, reason, now);
    store.enqueue(
      this.options.actions,
      { op: "apply", scope: "node", uuid: null, host: request.host, gpu: null, reason },
      now,
    );
    store.audit("alertmanager", "quarantine_node", { ...where, detail: { reason } }, now);
    return "quarantined";
  }

  private resolved(request: QuarantineRequest, now: number): AlertResult {
    const { store } = this;
    const { base, where } = subject(request);
    // Before the duplicate check: a re-sent resolution of an episode resolved before this
    // table existed fills it in.
    store.recordResolvedEpisode(request, now);
    const previous = store.instance(request.key);
    if (previous?.resolvedAt != null) {
      store.touchInstance(request.key, now);
      store.audit("alertmanager", "duplicate", { ...where, detail: { decision: "resolved" } }, now);
      return { ...base, outcome: "duplicate" };
    }
    // Recorded even for an episode never seen firing, so that a late firing message for it
    // is recognised as stale. Releasing is never done here: Alertmanager also resolves
    // alerts when Prometheus stops sending them, e.g. because Prometheus died.
    store.recordResolved(request, now);
    store.audit(
      "alertmanager",
      "resolved",
      {
        ...where,
        detail: { endsAt: request.endsAt, quarantined: store.gpu(request.uuid)?.quarantined === 1 },
      },
      now,
    );
    return { ...base, outcome: "resolved" };
  }

  /** Sets a GPU's desired state to released. Idempotent: releasing a free GPU is a no-op. */
  release(
    uuid: string,
    reason: string,
    actor: Actor,
    mode: "manual" | "auto",
    now: number,
  ): "released" | "not_quarantined" {
    const { store } = this;
    const gpu = store.gpu(uuid);
    if (gpu?.quarantined !== 1) {
      store.audit(actor, "release_noop", { uuid, detail: { reason, mode } }, now);
      return "not_quarantined";
    }
    store.setGpuReleased(uuid, reason, now);
    store.enqueue(
      this.options.actions,
      { op: "release", scope: "gpu", uuid, host: gpu.host, gpu: gpu.gpu, reason },
      now,
    );
    store.audit(actor, "release", { uuid, host: gpu.host, detail: { reason, mode } }, now);
    this.metrics.releases.inc({ mode });
    // A node escalated because of its GPUs returns once none of them is held any more.
    if (store.nodeQuarantined(gpu.host) && store.hostGpus(gpu.host).length === 0) {
      this.releaseNode(gpu.host, reason, actor, now);
    }
    return "released";
  }

  releaseNode(
    host: string,
    reason: string,
    actor: Actor,
    now: number,
  ): "released" | "not_quarantined" {
    const { store } = this;
    if (!store.nodeQuarantined(host)) {
      store.audit(actor, "release_noop", { host, detail: { reason, scope: "node" } }, now);
      return "not_quarantined";
    }
    store.setNodeQuarantined(host, false, reason, now);
    store.enqueue(
      this.options.actions,
      { op: "release", scope: "node", uuid: null, host, gpu: null, reason },
      now,
    );
    store.audit(actor, "release_node", { host, detail: { reason } }, now);
    return "released";
  }
}
