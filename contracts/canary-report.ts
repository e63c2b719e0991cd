// The known-answer canary's report (prover/GPU.md, "Canary"): what
// `proofwatch-prover canary --json` prints, one object on stdout. The prover service
// (prover/service/src/canary.ts) reads it to decide whether a GPU may take work and to
// count mismatches by check; a fleet's own Job or timer may read it the same way.
import { z } from "zod";

/** What a check covers; bounded, so it may be a metric label. */
export const CANARY_CHECK_KINDS = [
  "g1_msm",
  "g2_msm",
  "ntt_forward",
  "ntt_roundtrip",
  "memory",
] as const;
export const CanaryCheckKind = z.enum(CANARY_CHECK_KINDS);
export type CanaryCheckKind = z.infer<typeof CanaryCheckKind>;

export const CanaryCheck = z.object({
  /** Unique in a report, e.g. `g1_msm_16384`, `ntt_roundtrip_65536`, `memory`. */
  name: z.string().min(1),
  kind: CanaryCheckKind,
  /** Points, NTT length, or bytes the memory pass covered. */
  size: z.number().int().nonnegative(),
  passed: z.boolean(),
  /** Points, field elements or 64-bit words that differ from the known answer. */
  mismatches: z.number().int().nonnegative(),
  /** Wall time of the check, transfers included. */
  seconds: z.number().nonnegative(),
  /** The kernel path it covers, or why it failed (a CUDA error's message included). */
  detail: z.string(),
});
export type CanaryCheck = z.infer<typeof CanaryCheck>;

export const CanaryReport = z.object({
  version: z.literal(1),
  /** Every check ran and passed. */
  passed: z.boolean(),
  /** `cuda` on a GPU, `cuda-emu` for the grid emulator (tests). */
  backend: z.enum(["cuda", "cuda-emu"]),
  device: z.number().int().nonnegative(),
  deviceName: z.string(),
  /** Share of the free device memory the memory pass was asked to cover (0 skips it). */
  memoryShare: z.number().min(0).max(1),
  freeBytes: z.number().int().nonnegative(),
  testedBytes: z.number().int().nonnegative(),
  /** CPU seconds spent computing the known answers before the device ran. */
  answersSeconds: z.number().nonnegative(),
  /** Every check, device set-up included. */
  seconds: z.number().nonnegative(),
  /** Names of the checks that failed, in order. */
  failed: z.array(z.string()),
  checks: z.array(CanaryCheck),
});
export type CanaryReport = z.infer<typeof CanaryReport>;
