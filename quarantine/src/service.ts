// The webhook's and the API's operations, apart from HTTP. Order of work for a message:
// parse and check all of it, decide and queue intents in one transaction, then carry the
// intents out; the answer tells Alertmanager whether to retry.
import type { Logger } from "../../common/log.js";
import type { Breaker } from "./breaker.js";
import type { QuarantineMetrics, RequestResult } from "./metrics.js";
import type { Outbox } from "./outbox.js";
import { PayloadError, parsePayload } from "./payload.js";
import type { AlertResult, Policy } from "./policy.js";
import type { Actor, Store } from "./store.js";

export interface Reply {
  status: number;
  result: RequestResult;
  body: Record<string, unknown>;
}

/** Test-only: die right after the intents commit, as a crash before acting would. */
export const CRASH_AFTER_INTENT_ENV = "PROOFWATCH_QUARANTINE_CRASH_AFTER_INTENT";

export class QuarantineService {
  constructor(
    readonly store: Store,
    private readonly policy: Policy,
    private readonly breaker: Breaker,
    private readonly outbox: Outbox,
    private readonly metrics: QuarantineMetrics,
    private readonly log: Logger,
    readonly settings: { dryRun: boolean; knownGpus: () => number },
  ) {}

  /** Carries out pending intents; 503 while any is left so that Alertmanager retries. */
  private async settle(reply: Reply): Promise<Reply> {
    await this.outbox.drain();
    const pending = this.store.pendingCount();
    if (pending > 0) {
      return {
        status: 503,
        result: "unavailable",
        body: {
          ...reply.body,
          status: "unavailable",
          error: `${pending} actions pending: a backend is failing`,
        },
      };
    }
    return reply;
  }

  async alertmanager(raw: Buffer): Promise<Reply> {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return badRequest("body is not JSON");
    }
    let parsed: ReturnType<typeof parsePayload>;
    try {
      parsed = parsePayload(body);
    } catch (error) {
      if (error instanceof PayloadError) return badRequest(error.message);
      throw error;
    }
    const { payload, requests, ignored } = parsed;
    if (payload.truncatedAlerts > 0) {
      this.log.warn("Alertmanager truncated the message; raise max_alerts", {
        truncated: payload.truncatedAlerts,
        groupKey: payload.groupKey,
      });
    }

    const pendingBefore = this.store.pendingCount();
    // One transaction: all of the message's decisions commit together.
    const results: AlertResult[] = this.store.transaction(() =>
      this.policy.handle(requests, Date.now()),
    );
    if (process.env[CRASH_AFTER_INTENT_ENV] === "1" && this.store.pendingCount() > pendingBefore) {
      process.kill(process.pid, "SIGKILL");
    }
    for (const r of results) {
      this.log.info("alert", { ...r });
    }
    const suppressed = results.some((r) => r.outcome === "suppressed" || r.node === "suppressed");
    return this.settle({
      status: 200,
      result: suppressed ? "suppressed" : "ok",
      body: { status: suppressed ? "suppressed" : "ok", ignored, results },
    });
  }

  async release(uuid: string, reason: string, actor: Actor): Promise<Reply> {
    const outcome = this.store.transaction(() =>
      this.policy.release(uuid, reason, actor, actor === "system" ? "auto" : "manual", Date.now()),
    );
    return this.settle({ status: 200, result: "ok", body: { status: outcome, uuid } });
  }

  async releaseNode(host: string, reason: string, actor: Actor): Promise<Reply> {
    const outcome = this.store.transaction(() =>
      this.policy.releaseNode(host, reason, actor, Date.now()),
    );
    return this.settle({ status: 200, result: "ok", body: { status: outcome, host } });
  }

  resetBreaker(reason: string, actor: Actor): Reply {
    const wasOpen = this.store.transaction(() => this.breaker.reset(reason, actor, Date.now()));
    this.log.warn("breaker reset", { reason, wasOpen });
    return { status: 200, result: "ok", body: { status: "closed", wasOpen } };
  }

  status(): Record<string, unknown> {
    const breaker = this.store.breaker();
    return {
      dryRun: this.settings.dryRun,
      knownGpus: this.settings.knownGpus(),
      inventory: {
        file: this.store.inventoryCount("file"),
        prometheus: this.store.inventoryCount("prometheus"),
        prometheusRefreshedAt: isoOrNull(this.store.inventoryRefreshedAt("prometheus")),
      },
      maxOutOfService: this.breaker.maxOutOfService(),
      outOfService: this.store.effectiveQuarantinedCount(),
      breaker: {
        open: breaker.open,
        reason: breaker.reason,
        openedAt: isoOrNull(breaker.openedAt),
      },
      pendingActions: this.store.pendingCount(),
    };
  }

  count(result: RequestResult): void {
    this.metrics.requests.inc({ result });
  }

  /** Retries intents left by a failing backend or by a crash. */
  retry(): Promise<void> {
    return this.outbox.drain();
  }

  idle(): Promise<void> {
    return this.outbox.idle();
  }
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function badRequest(error: string): Reply {
  return { status: 400, result: "bad_request", body: { status: "error", error } };
}
