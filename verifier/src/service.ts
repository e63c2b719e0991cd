// The verifier's work apart from HTTP and files. Order for a submission: judge its form,
// dedupe, decide sampling and store it in one transaction, then queue it; the reply comes
// after the commit. Order for a check: load the rows, check the batch in a worker, compare
// with the job's expected signals, record verdicts and probation in one transaction.
import { type Context, context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Logger } from "../../common/log.js";
import type { SubmissionMeta } from "../../contracts/index.js";
import type { CircuitRegistry } from "./circuits.js";
import type { RejectReason, VerifierMetrics } from "./metrics.js";
import type { BoundedQueue, QueueEntry } from "./queue.js";
import type { Sampler } from "./sampling.js";
import { canonicalSignals, checkProof, proofHash } from "./schema.js";
import type { PendingRow, SamplingDecision, Store, VerdictUpdate } from "./store.js";
import { ProofTraces } from "./tracing.js";
import type { Checker, CheckItem } from "./workers.js";

export interface Submission {
  meta: SubmissionMeta;
  proof: unknown;
  publicSignals: unknown;
  source: "http" | "spool";
  /** Who sent it, as the verdict records it (attribution.ts: `submitterOf`, "spool:<dir>"). */
  submittedBy: string;
  /** Set when the files could not even be read as JSON (spool): the proof is malformed. */
  unreadable?: string;
  /** The request's trace context: the proof's queue, check and verdict spans go under it. */
  trace?: Context;
}

export type SubmitReply =
  | { status: 200 | 202; body: Record<string, unknown> }
  | { status: 400 | 429; reject: RejectReason; body: { error: string }; retryAfterS?: number };

export interface ServiceOptions {
  /** Most proofs one worker checks in one batch. */
  batchMax: number;
  /** Failed worker attempts on one proof before it is left for the next start. */
  maxAttempts: number;
}

/** Test-only: die right after a submission commits, before the reply, as a crash would. */
export const CRASH_AFTER_ACCEPT_ENV = "PROOFWATCH_VERIFIER_CRASH_AFTER_ACCEPT";
/** Test-only: accept but check nothing, so that a kill finds proofs accepted and unchecked. */
export const PAUSE_CHECKS_ENV = "PROOFWATCH_VERIFIER_PAUSE_CHECKS";

const badRequest = (error: string, reject: RejectReason = "bad_request"): SubmitReply => ({
  status: 400,
  reject,
  body: { error },
});

function sameSignals(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Whether a stored expectation (as received) is `expected` (canonical; null for none). */
function sameExpectation(expected: string[] | null, storedJson: string | null): boolean {
  if (expected === null || storedJson === null) return expected === null && storedJson === null;
  const stored = canonicalSignals(JSON.parse(storedJson) as unknown[]);
  return stored !== null && sameSignals(expected, stored);
}

/** Proofs checked per second, smoothed: what Retry-After is computed from. */
class Throughput {
  private rate = 0;
  private last = Date.now();

  add(proofs: number, now = Date.now()): void {
    const seconds = Math.max((now - this.last) / 1000, 0.001);
    const instant = proofs / seconds;
    // Weighted by elapsed time so that a burst of tiny intervals does not dominate.
    const weight = Math.min(seconds / 5, 1);
    this.rate = this.rate === 0 ? instant : this.rate + (instant - this.rate) * weight;
    this.last = now;
  }

  perSecond(): number {
    return this.rate;
  }
}

export class VerifierService {
  private readonly inFlight = new Set<number>();
  private readonly attempts = new Map<number, number>();
  private readonly throughput = new Throughput();
  private running = 0;
  private closing = false;
  private idleWaiters: Array<() => void> = [];

  /** Proofs from failed batches, checked alone before anything else. */
  private readonly solo: QueueEntry[] = [];

  constructor(
    readonly store: Store,
    readonly registry: CircuitRegistry,
    readonly sampler: Sampler,
    readonly queue: BoundedQueue,
    private readonly checker: Checker,
    private readonly metrics: VerifierMetrics,
    private readonly log: Logger,
    private readonly options: ServiceOptions,
    readonly traces: ProofTraces = new ProofTraces(null),
  ) {}

  /** Queues what was accepted but not checked before the last stop or crash. */
  recover(): void {
    const pending = this.store.pending();
    const parked = new Map<string, number>();
    for (const row of pending) {
      if (this.registry.get(row.circuit)) {
        this.queue.push({ id: row.id, circuit: row.circuit, acceptedAt: Date.now() });
      } else {
        parked.set(row.circuit, (parked.get(row.circuit) ?? 0) + 1);
      }
    }
    if (pending.length > 0) {
      this.log.info("checking proofs accepted before the restart", {
        pending: pending.length,
        queued: this.queue.depth,
      });
    }
    for (const [circuit, count] of parked) {
      this.log.warn("proofs wait for their circuit's key", { circuit, pending: count });
    }
    this.pump();
  }

  /** The registry saw keys come or go: queue proofs that were waiting for a key. */
  circuitsChanged(changed: readonly string[], removed: readonly string[]): void {
    for (const circuit of removed) this.queue.drop(circuit);
    // solo entries of a removed circuit wait there until it returns (pump skips them).
    for (const circuit of changed) {
      for (const row of this.store.pending(circuit)) {
        if (!this.inFlight.has(row.id) && !this.solo.some((entry) => entry.id === row.id)) {
          this.queue.push({ id: row.id, circuit, acceptedAt: Date.now() });
        }
      }
    }
    this.pump();
  }

  submit(submission: Submission): SubmitReply {
    const { meta } = submission;
    const circuit = this.registry.get(meta.circuit);
    if (!circuit) {
      const known = this.registry
        .list()
        .map((c) => c.id)
        .join(", ");
      return badRequest(
        `unknown circuit "${meta.circuit}" (registered: ${known || "none"})`,
        "unknown_circuit",
      );
    }
    let expected: string[] | null = null;
    if (meta.expectedPublicSignals !== undefined) {
      expected = canonicalSignals(meta.expectedPublicSignals);
      if (expected === null) {
        return badRequest(
          "expectedPublicSignals: not all decimal integers below the field modulus",
        );
      }
      if (expected.length !== circuit.nPublic) {
        return badRequest(
          `expectedPublicSignals: ${expected.length} values, the circuit has ${circuit.nPublic}`,
        );
      }
    }

    const check = submission.unreadable
      ? { ok: false as const, reason: submission.unreadable }
      : checkProof(submission.proof, submission.publicSignals, circuit.nPublic);
    const hash = proofHash(check, submission.proof, submission.publicSignals);
    const claim = { jobId: meta.jobId, uuid: meta.gpu.uuid, host: meta.gpu.host };
    // Only a retry folds into an earlier submission: the same proof for the same job from the
    // same GPU with the same expectation. Anything else is a submission of its own and is
    // judged against its own job (docs/verifier.md, "Replays").
    const retry = this.store
      .retryCandidates(circuit.id, hash, claim)
      .find((row) => sameExpectation(expected, row.expectedPublicSignalsJson));
    if (retry) {
      this.metrics.duplicates.inc({ circuit: circuit.id });
      return {
        status: retry.status === "accepted" ? 202 : 200,
        body: { id: retry.id, proofHash: hash, duplicate: true, status: retry.status },
      };
    }
    // A proof first recorded for another job or by another GPU is a replay: that job's
    // proof, not this one's. Not-proofs are left out: two GPUs writing the same garbage is
    // no replay.
    const earliest = check.ok ? this.store.firstSubmission(circuit.id, hash) : undefined;
    const first =
      earliest &&
      (earliest.jobId !== claim.jobId ||
        earliest.uuid !== claim.uuid ||
        earliest.host !== claim.host)
        ? earliest
        : undefined;
    const replayOf = first?.id ?? null;
    // Refused before sampling, so that a retry after 429 is no second draw.
    if (check.ok && this.queue.full) {
      return {
        status: 429,
        reject: "queue_full",
        body: { error: `verification queue full (${this.queue.capacity} proofs waiting)` },
        retryAfterS: this.retryAfterS(),
      };
    }

    const now = Date.now();
    const row = {
      proofHash: hash,
      circuit: circuit.id,
      uuid: meta.gpu.uuid,
      host: meta.gpu.host,
      prover: meta.prover ?? null,
      jobId: meta.jobId,
      source: submission.source,
      proofJson: JSON.stringify(submission.proof ?? null),
      publicSignalsJson: JSON.stringify(submission.publicSignals ?? null),
      expectedPublicSignalsJson: meta.expectedPublicSignals
        ? JSON.stringify(meta.expectedPublicSignals)
        : null,
      receivedAt: now,
      replayOf,
      submittedBy: submission.submittedBy,
    };
    const inserted = this.store.transaction(() => {
      const gpu = this.store.gpuState(meta.gpu.uuid);
      let decision: SamplingDecision;
      if (!check.ok) {
        decision = { checked: true, rate: 1, reason: "not a proof: judged on receipt" };
      } else if (replayOf !== null) {
        decision = {
          checked: true,
          rate: 1,
          reason: `replay of submission ${replayOf}: always checked`,
        };
      } else if (expected && !sameSignals(expected, check.publicSignals)) {
        decision = {
          checked: true,
          rate: 1,
          reason: "public signals differ from the expected ones: always checked",
        };
      } else {
        decision = this.sampler.decide(circuit.id, gpu);
      }
      const result = this.store.insert(row, decision);
      if (!check.ok) {
        const [done] = this.store.recordVerdicts(
          [
            {
              id: result.id,
              result: "malformed",
              reason: check.reason,
              queueMs: 0,
              verifyMs: 0,
              batchSize: 0,
              keyHash: circuit.keyHash,
            },
          ],
          this.sampler.recoverAfter,
          now,
        );
        return { ...result, status: "checked" as const, counted: done };
      }
      return { ...result, counted: undefined };
    });
    if (process.env[CRASH_AFTER_ACCEPT_ENV] === "1") process.kill(process.pid, "SIGKILL");

    this.metrics.received.inc({ circuit: circuit.id, source: submission.source });
    if (first) {
      this.metrics.replays.inc({ circuit: circuit.id, uuid: meta.gpu.uuid });
      this.log.warn("proof replayed", {
        id: inserted.id,
        replayOf: first.id,
        circuit: circuit.id,
        jobId: meta.jobId,
        uuid: meta.gpu.uuid,
        host: meta.gpu.host,
        submittedBy: submission.submittedBy,
        firstJobId: first.jobId,
        firstUuid: first.uuid,
        firstHost: first.host,
      });
    }
    if (inserted.counted) this.countVerdict(inserted.counted);
    if (inserted.status === "skipped") {
      this.metrics.skipped.inc({ circuit: circuit.id, uuid: meta.gpu.uuid });
    }
    if (inserted.status === "accepted") {
      this.queue.push({ id: inserted.id, circuit: circuit.id, acceptedAt: now });
      this.traces.queued(inserted.id, submission.trace);
      this.pump();
    }
    // The reply does not tell whether the proof will be checked: a prover learns nothing
    // about the sampling from it.
    return { status: 202, body: { id: inserted.id, proofHash: hash, status: "accepted" } };
  }

  /** Seconds until the queue has likely drained enough to take more: 1 to 60. */
  retryAfterS(): number {
    const rate = this.throughput.perSecond();
    const backlog = this.queue.depth - this.queue.capacity / 2;
    if (rate <= 0) return 5;
    return Math.min(60, Math.max(1, Math.ceil(backlog / rate)));
  }

  /** Resolves when nothing is queued or being checked (tests, shutdown). */
  idle(): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work; resolves when the batches running now are recorded. */
  async close(): Promise<void> {
    this.closing = true;
    await this.idle();
  }

  /** Proofs waiting for a worker. */
  waiting(): number {
    return this.queue.depth + this.solo.length;
  }

  private settled(): boolean {
    return this.running === 0 && (this.waiting() === 0 || this.closing);
  }

  private pump(): void {
    if (process.env[PAUSE_CHECKS_ENV] === "1") return;
    while (!this.closing && this.waiting() > 0) {
      const idle = this.checker.idle();
      if (idle <= 0) return;
      let entries: QueueEntry[];
      const soloAt = this.solo.findIndex((entry) => this.registry.get(entry.circuit));
      if (soloAt >= 0) {
        entries = this.solo.splice(soloAt, 1);
      } else {
        // Share the waiting work among the idle workers rather than give one worker it all.
        const size = Math.min(this.options.batchMax, Math.ceil(this.queue.depth / idle));
        entries = this.queue.take(size, (circuit) => this.registry.get(circuit) !== undefined);
      }
      if (entries.length === 0) return;
      this.running++;
      for (const entry of entries) this.inFlight.add(entry.id);
      this.traces.checking(
        entries.map((entry) => entry.id),
        (entries[0] as QueueEntry).circuit,
      );
      // Outside the request that happened to start it: a batch is several jobs' work, so its
      // own log lines carry no job's trace id (each proof's verdict has its own, tracing.ts).
      void context.with(ROOT_CONTEXT, () =>
        this.runBatch(entries)
          .catch((error: unknown) => {
            // The store failing under us: the proofs stay accepted and are checked after a restart.
            this.log.error("recording verdicts failed", { error: (error as Error).message });
          })
          .finally(() => {
            for (const entry of entries) this.inFlight.delete(entry.id);
            this.running--;
            this.pump();
            if (this.settled()) for (const resolve of this.idleWaiters.splice(0)) resolve();
          }),
      );
    }
  }

  private async runBatch(entries: QueueEntry[]): Promise<void> {
    const circuitId = (entries[0] as QueueEntry).circuit;
    const circuit = this.registry.get(circuitId);
    if (!circuit) {
      this.queue.unshift(entries);
      return;
    }
    const rows = this.store.forCheck(entries.map((entry) => entry.id));
    const acceptedAt = new Map(entries.map((entry) => [entry.id, entry.acceptedAt]));
    const updates: VerdictUpdate[] = [];
    const toCheck: Array<{ row: PendingRow; item: CheckItem; signals: string[] }> = [];
    const started = Date.now();
    for (const row of rows) {
      // The canonical form again, with the same schema: after a restart the stored text is
      // all there is. The addon gets it as is, with nothing left to parse.
      const check = checkProof(
        JSON.parse(row.proofJson),
        JSON.parse(row.publicSignalsJson),
        circuit.nPublic,
      );
      if (!check.ok) {
        updates.push({
          id: row.id,
          result: "malformed",
          reason: check.reason,
          queueMs: started - (acceptedAt.get(row.id) ?? row.receivedAt),
          verifyMs: 0,
          batchSize: rows.length,
          keyHash: circuit.keyHash,
        });
        continue;
      }
      toCheck.push({
        row,
        item: { proof: check.proof, publicSignals: check.publicSignals },
        signals: check.publicSignals,
      });
    }

    if (toCheck.length > 0) {
      let outcome: Awaited<ReturnType<Checker["check"]>>;
      try {
        outcome = await this.checker.check(
          circuit.keyHash,
          circuit.keyJson,
          toCheck.map((c) => c.item),
        );
      } catch (error) {
        this.batchFailed(
          toCheck.map((c) => ({ id: c.row.id, circuit: circuitId, acceptedAt: started })),
          error as Error,
        );
        if (updates.length > 0) this.record(updates);
        return;
      }
      const perProofMs = outcome.ms / toCheck.length;
      this.metrics.batchSize.observe({ circuit: circuitId }, toCheck.length);
      toCheck.forEach(({ row, signals }, i) => {
        const verdict = outcome.verdicts[i] as {
          result: VerdictUpdate["result"];
          reason: string | null;
        };
        let { result, reason } = verdict;
        const pairing = result === "valid" ? "passed" : `${result}${reason ? `, ${reason}` : ""}`;
        const expected = row.expectedPublicSignalsJson
          ? canonicalSignals(JSON.parse(row.expectedPublicSignalsJson) as unknown[])
          : null;
        if (row.replayOf !== null) {
          // A proof made for another job or by another GPU proves nothing about this job, even
          // when the pairing check passes: it must never count as this job's valid result.
          reason = `replay of submission ${row.replayOf}: a proof submitted before for another job or GPU (pairing check: ${pairing})`;
          result = "invalid";
        } else if (expected && !sameSignals(expected, signals)) {
          // The job's source of truth wins: a proof of other statements is no proof of this job.
          reason = `public signals differ from the job's expected ones (pairing check: ${pairing})`;
          result = "invalid";
        }
        this.attempts.delete(row.id);
        updates.push({
          id: row.id,
          result,
          reason,
          queueMs: started - (acceptedAt.get(row.id) ?? row.receivedAt),
          verifyMs: perProofMs,
          batchSize: toCheck.length,
          keyHash: circuit.keyHash,
        });
      });
    }
    if (updates.length > 0) this.record(updates);
  }

  private record(updates: VerdictUpdate[]): void {
    const spans = this.traces.verdicts(updates.map((update) => update.id));
    try {
      const done = this.store.recordVerdicts(updates, this.sampler.recoverAfter, Date.now());
      this.throughput.add(updates.length);
      for (const verdict of done) spans.within(verdict.id, () => this.countVerdict(verdict));
    } finally {
      spans.end(new Map(updates.map((update) => [update.id, update.result])));
    }
  }

  private countVerdict(verdict: VerdictUpdate & { uuid: string; circuit: string }): void {
    this.metrics.checked.inc({
      result: verdict.result,
      circuit: verdict.circuit,
      uuid: verdict.uuid,
    });
    if (verdict.batchSize > 0) {
      this.metrics.duration.observe({ circuit: verdict.circuit }, verdict.verifyMs / 1000);
    }
    if (verdict.result !== "valid") {
      this.log.warn("bad proof", {
        id: verdict.id,
        circuit: verdict.circuit,
        uuid: verdict.uuid,
        result: verdict.result,
        reason: verdict.reason ?? "",
      });
    }
  }

  /**
   * A worker crashed, hung or threw on a batch. Its proofs go back one by one, so that one
   * poisonous proof cannot take a whole batch down again; a proof that failed
   * `maxAttempts` times stays stored as accepted (no verdict is better than a wrong one)
   * and is tried again after the next start.
   */
  private batchFailed(entries: QueueEntry[], error: Error): void {
    this.metrics.workerFailures.inc();
    this.traces.failed(
      entries.map((entry) => entry.id),
      error,
    );
    const retry: QueueEntry[] = [];
    for (const entry of entries) {
      const attempts = (this.attempts.get(entry.id) ?? 0) + 1;
      this.attempts.set(entry.id, attempts);
      if (attempts >= this.options.maxAttempts) {
        this.log.error("proof left unchecked after repeated worker failures", {
          id: entry.id,
          circuit: entry.circuit,
          attempts,
          error: error.message,
        });
        this.attempts.delete(entry.id);
      } else {
        retry.push(entry);
      }
    }
    this.log.warn("batch failed, retrying its proofs one by one", {
      circuit: entries[0]?.circuit ?? "",
      proofs: entries.length,
      error: error.message,
    });
    this.solo.push(...retry);
  }
}
