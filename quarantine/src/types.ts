// Types other folders (the prover, schedulers' glue, tests) may rely on. The rest of
// quarantine/src is private to this folder.

/** One GPU taken out of service, as served by `GET /v1/quarantine` and the `file` action. */
export interface QuarantinedGpu {
  uuid: string;
  host: string;
  /** NVML index from the alert's `gpu` label, when it had one. */
  gpu: string | null;
  /** ISO 8601 time the quarantine was decided. */
  since: string;
  /** alertname that caused it. */
  reason: string;
}

export interface QuarantinedNode {
  host: string;
  since: string;
  reason: string;
}

/**
 * The whole desired state: what the `file` action writes and `GET /v1/quarantine` serves.
 * Readers (the bundled prover, schedulers) must skip every GPU listed in `gpus` and every
 * GPU of every host listed in `hosts`.
 */
export interface QuarantineList {
  version: 1;
  /** ISO 8601 time the list was written. */
  generatedAt: string;
  gpus: QuarantinedGpu[];
  hosts: QuarantinedNode[];
}

/** What one action is asked to converge: a GPU or (on escalation) a whole node. */
export interface Target {
  scope: "gpu" | "node";
  /** Set when scope is "gpu". */
  uuid: string | null;
  host: string;
  gpu: string | null;
  /** Short human reason (alertname, or the operator's release reason). */
  reason: string;
  /**
   * Desired state of the target's host at the moment the action runs, read from the store.
   * Actions write this state rather than toggling, so replaying an intent is harmless.
   */
  hostGpus: string[];
  hostQuarantined: boolean;
  /** Desired state of the whole fleet, for actions that publish everything at once. */
  fleet: QuarantineList;
  /** Stable per intent: lets a receiver drop a replay after a crash between act and mark-done. */
  idempotencyKey: string;
}

/** A backend that takes GPUs or nodes out of service. Both methods must be idempotent. */
export interface QuarantineAction {
  readonly name: string;
  apply(target: Target): Promise<void>;
  release(target: Target): Promise<void>;
  /** Called once at start with the stored state, e.g. to publish it before any change. */
  init?(fleet: QuarantineList): Promise<void>;
  close?(): Promise<void>;
}

/** Thrown by an action for a failure retrying cannot fix (no such node, request refused). */
export class PermanentActionError extends Error {
  override readonly name = "PermanentActionError";
}
