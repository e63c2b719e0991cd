// Types other folders (the prover's submitter, dashboards' glue, tests) may rely on. The rest
// of verifier/src is private to this folder.

export type VerdictResult = "valid" | "invalid" | "malformed";

/** Where a submission stands: accepted, then checked or (sampled out) skipped. */
export type SubmissionStatus = "accepted" | "checked" | "skipped";

/** One submission and, once checked, its verdict, as served by `GET /v1/verdicts`. */
export interface VerdictRecord {
  id: number;
  /** sha256 (hex) of the canonical proof and public signals; with `circuit`, `jobId`, the GPU
   * and the expected signals, what a retry is recognised by. */
  proofHash: string;
  circuit: string;
  uuid: string;
  host: string;
  prover: string | null;
  jobId: string;
  source: "http" | "spool";
  status: SubmissionStatus;
  result: VerdictResult | null;
  reason: string | null;
  /** The sampling decision taken when the submission was accepted. */
  sampling: { checked: boolean; rate: number; reason: string };
  /** ISO 8601 times. */
  receivedAt: string;
  checkedAt: string | null;
  /** Time spent waiting for a worker, and the check itself (a batch's time shared out). */
  queueMs: number | null;
  verifyMs: number | null;
  /** Proofs checked together in the batch that decided this one. */
  batchSize: number | null;
  /** sha256 of the verification key file the check used. */
  keyHash: string | null;
  /** Set when this proof was submitted before for another job or by another GPU: the id of
   * that first submission. Such a submission is recorded `invalid` (docs/verifier.md). */
  replayOf: number | null;
  /** Who submitted it: "<method>:<name>" of the authenticated caller ("bearer:node-a",
   * "certificate:…", "insecure:anonymous"), or "spool:<dir>"; null for rows from before. */
  submittedBy: string | null;
  /** The proof and signals as received: kept for invalid, malformed and unchecked ones. */
  proof?: unknown;
  publicSignals?: unknown;
  expectedPublicSignals?: unknown;
}

/** Per-GPU summary, as served by `GET /v1/gpus`. */
export interface GpuSummary {
  uuid: string;
  host: string;
  counts: {
    valid: number;
    invalid: number;
    malformed: number;
    skipped: number;
    /** Submissions of a proof first submitted for another job or by another GPU. */
    replays: number;
    pending: number;
  };
  lastInvalidAt: string | null;
  lastInvalidId: number | null;
  /** True from an invalid or malformed proof until `recoverAfter` valid ones in a row. */
  probation: boolean;
  validStreak: number;
  /** Share of this GPU's proofs checked now: 1 on probation, else the base rate. */
  samplingRate: number;
}
