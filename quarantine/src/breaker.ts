// The circuit breaker: the same idea as NVSentinel's fault-quarantine circuit breaker and
// medik8s' maxUnhealthy. Past a share of the fleet out of service, or too many new
// quarantines in a window, the fault is more likely in the monitoring than in the GPUs, so
// the service stops acting until a person looks and resets it.
import type { QuarantineMetrics } from "./metrics.js";
import type { Actor, Store } from "./store.js";

export interface Limits {
  /** Largest share of the known GPUs that may be out of service, 0..1. */
  maxShare: number;
  /** Most new quarantines (GPU or node) within `windowMs`. */
  maxNew: number;
  windowMs: number;
}

export type Refusal = "breaker_open" | "max_share" | "max_rate";

/** Audit events that count as new quarantines for the rate limit. */
export const QUARANTINE_EVENTS = ["quarantine", "quarantine_node"] as const;

export class Breaker {
  constructor(
    private readonly store: Store,
    private readonly limits: Limits,
    private readonly knownGpus: () => number,
    private readonly metrics: QuarantineMetrics,
  ) {}

  /** Most GPUs that may be out of service at once. */
  maxOutOfService(): number {
    return Math.floor(this.limits.maxShare * this.knownGpus());
  }

  /**
   * May `adding` more GPUs go out of service now? Trips the breaker when a limit would be
   * passed. Call inside the transaction that records the decision.
   */
  admit(adding: number, now: number): Refusal | null {
    if (this.store.breaker().open) return "breaker_open";
    const outOfService = this.store.effectiveQuarantinedCount();
    const limit = this.maxOutOfService();
    if (outOfService + adding > limit) {
      this.trip("max_share", { outOfService, adding, limit, knownGpus: this.knownGpus() }, now);
      return "max_share";
    }
    const since = now - this.limits.windowMs;
    const recent = QUARANTINE_EVENTS.reduce(
      (n, event) => n + this.store.countEventsSince(event, since),
      0,
    );
    if (recent + 1 > this.limits.maxNew) {
      this.trip(
        "max_rate",
        { recent, maxNew: this.limits.maxNew, windowSeconds: this.limits.windowMs / 1000 },
        now,
      );
      return "max_rate";
    }
    return null;
  }

  private trip(reason: Refusal, detail: Record<string, unknown>, now: number): void {
    this.store.tripBreaker(reason, now);
    this.store.audit("system", "breaker_tripped", { detail: { reason, ...detail } }, now);
    this.metrics.breakerTrips.inc({ reason });
  }

  /** Closes the breaker; only an authenticated operator may call this. */
  reset(reason: string, actor: Actor, now: number): boolean {
    const wasOpen = this.store.breaker().open;
    this.store.resetBreaker(reason, now);
    this.store.audit(actor, "breaker_reset", { detail: { reason, wasOpen } }, now);
    return wasOpen;
  }
}
