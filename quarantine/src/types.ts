// Types other folders (the prover, schedulers' glue, tests) may rely on. The rest of
// quarantine/src is private to this folder.
import type { QuarantineList } from "../../contracts/index.js";

// The list is a wire message (the `file` action, `GET /v1/quarantine`): one schema, in
// contracts/quarantine-list.ts, that its readers parse with too.
export type { QuarantinedGpu, QuarantinedNode, QuarantineList } from "../../contracts/index.js";

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
  /** Whether quarantined GPUs are kept from use one by one, for actions that can tell. */
  enforcement?(): GpuEnforcement;
}

export interface GpuEnforcement {
  /** The backend can take a single GPU out of service (Kubernetes: DRA device taints). */
  perGpu: boolean;
  /** The quarantined GPUs it has taken out of service one by one. */
  enforced: ReadonlySet<string>;
}

/** Thrown by an action for a failure retrying cannot fix (no such node, request refused). */
export class PermanentActionError extends Error {
  override readonly name = "PermanentActionError";
}
