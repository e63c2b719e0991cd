// Carries out queued intents. An intent is committed before its action runs and marked done
// after, so a crash in between replays it on start; actions converge to the desired state
// read from the store at run time, which makes the replay harmless (one effect).
import type { Logger } from "../../common/log.js";
import type { QuarantineMetrics } from "./metrics.js";
import type { OutboxRow, Store } from "./store.js";
import { PermanentActionError, type QuarantineAction, type Target } from "./types.js";

export interface OutboxOptions {
  /** Longest one action call may take before it counts as failed. */
  actionTimeoutMs: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Outbox {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly actions: ReadonlyMap<string, QuarantineAction>,
    private readonly metrics: QuarantineMetrics,
    private readonly log: Logger,
    private readonly options: OutboxOptions,
  ) {}

  /**
   * Runs every pending intent once, in order. Calls are serialised: one that arrives while
   * a drain runs waits for it and then drains what is left, so no intent runs twice at once.
   */
  drain(): Promise<void> {
    const run = this.chain.then(() => this.drainOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once the drain in progress, if any, has finished. */
  idle(): Promise<void> {
    return this.chain;
  }

  private target(row: OutboxRow): Target {
    return {
      scope: row.scope,
      uuid: row.uuid,
      host: row.host,
      gpu: row.gpu,
      reason: row.reason,
      hostGpus: this.store.hostGpus(row.host),
      hostQuarantined: this.store.nodeQuarantined(row.host),
      fleet: this.store.fleet(),
      idempotencyKey: `${row.createdAt}-${row.id}`,
    };
  }

  private async drainOnce(): Promise<void> {
    // An action that failed keeps its later intents waiting, so each backend sees its
    // intents in the order they were decided.
    const blocked = new Set<string>();
    for (const row of this.store.pending()) {
      if (blocked.has(row.action)) continue;
      const action = this.actions.get(row.action);
      const fields = {
        id: row.id,
        action: row.action,
        op: row.op,
        scope: row.scope,
        uuid: row.uuid,
        host: row.host,
      };
      if (!action) {
        this.store.markAttemptFailed(row.id, "action is no longer configured", true);
        this.store.audit("system", "action_failed", {
          uuid: row.uuid,
          host: row.host,
          detail: { ...fields, error: "action is no longer configured" },
        });
        continue;
      }
      try {
        await withTimeout(
          row.op === "apply" ? action.apply(this.target(row)) : action.release(this.target(row)),
          this.options.actionTimeoutMs,
          `${row.action} ${row.op}`,
        );
        this.store.markDone(row.id, Date.now());
        this.metrics.actions.inc({ action: row.action, result: "success" });
        this.log.info("action done", fields);
      } catch (error) {
        const message = (error as Error).message;
        const permanent = error instanceof PermanentActionError;
        this.store.markAttemptFailed(row.id, message, permanent);
        this.metrics.actions.inc({
          action: row.action,
          result: permanent ? "permanent_failure" : "failure",
        });
        if (permanent) {
          this.store.audit("system", "action_failed", {
            uuid: row.uuid,
            host: row.host,
            detail: { ...fields, error: message },
          });
          this.log.error("action failed for good", { ...fields, error: message });
        } else {
          blocked.add(row.action);
          this.log.warn("action failed, will retry", {
            ...fields,
            attempt: row.attempts + 1,
            error: message,
          });
        }
      }
    }
  }
}
