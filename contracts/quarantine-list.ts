// The quarantine list (docs/quarantine.md): the GPUs and hosts taken out of service. The
// quarantine service writes it (its `file` action, quarantine/src/actions/file.ts) and serves
// it (`GET /v1/quarantine`); the prover service (prover/service/src/quarantine.ts), the demo
// and schedulers' glue read it. Readers skip every listed GPU and every GPU of a listed host.
import { z } from "zod";

/** One GPU taken out of service. */
export const QuarantinedGpu = z.looseObject({
  uuid: z.string(),
  host: z.string(),
  /** NVML index from the alert's `gpu` label, when it had one. */
  gpu: z.string().nullable(),
  /** ISO 8601 time the quarantine was decided. */
  since: z.string(),
  /** alertname that caused it, or the operator's reason. */
  reason: z.string(),
});
export type QuarantinedGpu = z.infer<typeof QuarantinedGpu>;

/** A whole host taken out of service (an escalation). */
export const QuarantinedNode = z.looseObject({
  host: z.string(),
  since: z.string(),
  reason: z.string(),
});
export type QuarantinedNode = z.infer<typeof QuarantinedNode>;

/** The whole desired state, as written and served. */
export const QuarantineList = z.looseObject({
  version: z.literal(1),
  /** ISO 8601 time the list was written. */
  generatedAt: z.string(),
  gpus: z.array(QuarantinedGpu),
  hosts: z.array(QuarantinedNode),
});
export type QuarantineList = z.infer<typeof QuarantineList>;

/**
 * What a reader acts on, from the same schema: the version, each GPU's uuid and each host.
 * The rest of an entry is not held against the list, so that a reason or a time a reader
 * does not use can never keep it from taking a GPU out (a list that does not parse is not
 * applied). A list without `hosts` has none.
 */
export const QuarantineListTargets = QuarantineList.pick({ version: true }).extend({
  gpus: z.array(QuarantinedGpu.pick({ uuid: true, host: true }).partial({ host: true })),
  hosts: z.array(QuarantinedNode.pick({ host: true })).default([]),
});
export type QuarantineListTargets = z.infer<typeof QuarantineListTargets>;
