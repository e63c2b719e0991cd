// Jobs in memory: the priority queue (higher priority first, arrival order within one),
// deadlines (a job that waits for a GPU longer than its deadline is reported once, and still
// runs) and the retry policy (a failed run goes back to the queue, away from the GPUs it
// failed on, until it has failed `maxRetries + 1` times).
//
// Nothing here is persisted: a restart loses HTTP jobs that were not finished (spool files
// stay in the spool until their job finishes, so those are picked up again). See
// docs/prover-service.md, "Durability".
import type { Attempt, FailureReason, JobRecord, JobState } from "./types.js";

export interface Job {
  id: string;
  circuit: string;
  source: "http" | "spool";
  priority: number;
  /** Arrival order: ties between equal priorities go to the older job. */
  seq: number;
  submittedAt: number;
  deadlineMs: number;
  deadlineExceededAt: number | null;
  /** The `.wtns` file the daemon reads, in the job's out folder. */
  witnessFile: string;
  /** `witnessFile` is the job's copy of a file from --witness-dir: removed once finished. */
  witnessCopy: boolean;
  expectedPublicSignals: string[] | null;
  seed: number | undefined;
  state: JobState;
  attempts: Attempt[];
  /** GPUs a run of this job failed on: retries go elsewhere while others are healthy. */
  failedOn: Set<string>;
  failure: { reason: FailureReason; error: string } | null;
  result: JobRecord["result"];
  verifier: JobRecord["verifier"];
  /** The spool file it came from, moved away once the job is done. */
  spoolFile: string | null;
}

/** Higher priority first, then arrival order. */
function before(a: Job, b: Job): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
}

export class JobQueue {
  private readonly waiting: Job[] = [];
  private readonly timers = new Map<Job, NodeJS.Timeout>();

  /** `onDeadline` is called once for a job still waiting when its deadline passes. */
  constructor(private readonly onDeadline: (job: Job) => void) {}

  get size(): number {
    return this.waiting.length;
  }

  push(job: Job): void {
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.waiting[mid] as Job, job)) lo = mid + 1;
      else hi = mid;
    }
    this.waiting.splice(lo, 0, job);
    if (job.deadlineExceededAt === null && !this.timers.has(job)) {
      const due = Math.max(0, job.submittedAt + job.deadlineMs - Date.now());
      const timer = setTimeout(() => {
        this.timers.delete(job);
        if (job.state === "queued" && job.deadlineExceededAt === null) this.onDeadline(job);
      }, due);
      timer.unref();
      this.timers.set(job, timer);
    }
  }

  /** Removes and returns the first job, in queue order, that `fits`. */
  take(fits: (job: Job) => boolean): Job | undefined {
    const index = this.waiting.findIndex(fits);
    if (index < 0) return undefined;
    const [job] = this.waiting.splice(index, 1) as [Job];
    clearTimeout(this.timers.get(job));
    this.timers.delete(job);
    return job;
  }

  jobs(): readonly Job[] {
    return this.waiting;
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiting.length = 0;
  }
}

/** Whether a job that just failed goes back to the queue. */
export function shouldRetry(job: Job, maxRetries: number): boolean {
  const failures = job.attempts.filter((attempt) => attempt.result === "failed").length;
  return failures <= maxRetries;
}

/**
 * Whether `uuid` may take `job`: not a GPU it failed on, unless every healthy GPU is one
 * (then any will do, rather than leaving the job waiting for a GPU that does not exist).
 */
export function mayRunOn(job: Job, uuid: string, healthy: readonly string[]): boolean {
  if (!job.failedOn.has(uuid)) return true;
  return healthy.every((other) => job.failedOn.has(other));
}

/** The exit codes of proofwatch-prover (prover/README.md) as failure reasons. */
export function reasonForCode(code: number): FailureReason {
  switch (code) {
    case 2:
      return "bad_request";
    case 3:
      return "bad_zkey";
    case 4:
      return "bad_witness";
    case 5:
      return "witness_mismatch";
    case 6:
      return "output_error";
    case 8:
      return "backend_unavailable";
    default:
      return "internal";
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toRecord(job: Job): JobRecord {
  return {
    id: job.id,
    circuit: job.circuit,
    source: job.source,
    priority: job.priority,
    state: job.state,
    submittedAt: new Date(job.submittedAt).toISOString(),
    deadlineMs: job.deadlineMs,
    deadlineExceededAt: iso(job.deadlineExceededAt),
    expectedPublicSignals: job.expectedPublicSignals,
    attempts: job.attempts,
    failure: job.failure,
    result: job.result,
    verifier: job.verifier,
  };
}
