// What other folders (tests, the demo, dashboards' glue) may rely on. The rest of
// prover/service/src is private to this folder.

/** Faults a worker can be told to inject, as a failing GPU would behave. */
export type BitflipFault = "h-bitflip" | "a-bitflip" | "c-bitflip";
/** Bit flips make well-formed but invalid proofs; `stall` makes every proof wait first. */
export type Fault = { kind: BitflipFault } | { kind: "stall"; stallMs: number };

/** queued -> running -> proved | failed. A cancelled run goes back to queued. */
export type JobState = "queued" | "running" | "proved" | "failed";

/** Why a run failed; also the `reason` label of `proofwatch_prover_job_failures_total`. */
export type FailureReason =
  | "bad_request"
  | "bad_zkey"
  | "bad_witness"
  | "witness_mismatch"
  | "output_error"
  | "internal"
  | "backend_unavailable"
  | "prover_crash"
  | "timeout";

export interface Attempt {
  uuid: string;
  startedAt: string;
  endedAt: string | null;
  result: "running" | "proved" | "failed" | "cancelled";
  reason?: FailureReason | "quarantined" | "shutdown";
  error?: string;
  /** Seconds per phase as the daemon measured them. */
  timings?: Record<string, number>;
  backend?: string;
}

/** One job as `GET /v1/jobs/{id}` serves it. */
export interface JobRecord {
  id: string;
  circuit: string;
  source: "http" | "spool";
  priority: number;
  state: JobState;
  submittedAt: string;
  /** Longest the job may wait for a GPU before it is reported, in milliseconds. */
  deadlineMs: number;
  /** Set once, when the job had waited past its deadline (it still runs). */
  deadlineExceededAt: string | null;
  expectedPublicSignals: string[] | null;
  attempts: Attempt[];
  /** The last failure's reason once the job has failed for good. */
  failure: { reason: FailureReason; error: string } | null;
  /** Present once proved. */
  result: {
    uuid: string;
    proofFile: string;
    publicFile: string;
    publicSignals: string[];
    /** The GPU was quarantined while this proof was being made (finished under `flag`). */
    flagged: boolean;
    /** A fault was injected into this proof on purpose (tests, demo). */
    faultInjected: string | null;
  } | null;
  /**
   * Delivery to the verifier: none yet (not proved), pending (queued or being retried),
   * accepted, rejected (a 4xx), dropped (backlog overflow or shutdown; logged), or disabled
   * (started with --no-verifier).
   */
  verifier: {
    state: "none" | "pending" | "accepted" | "rejected" | "dropped" | "disabled";
    detail: string | null;
  };
}

export interface WorkerStatus {
  index: number;
  uuid: string;
  name: string | null;
  backend: string;
  quarantined: boolean;
  busy: boolean;
  job: string | null;
  /** Process ids of the warm daemons, by circuit. */
  daemons: Record<string, number>;
  fault: Fault | null;
  /** Why the known-answer canary keeps this GPU from work: pending, running, failed; null: none. */
  canary: "pending" | "running" | "failed" | null;
  proved: number;
  failed: number;
}
