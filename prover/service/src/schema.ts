// Everything that crosses the service's edge is parsed here: job requests (HTTP and spool
// files), the admin fault request and the daemon's answer lines. The quarantine list is
// contracts/quarantine-list.ts.
import { z } from "zod";
import { parseDuration } from "../../../common/duration.js";
import { CircuitId, SCALAR_MODULUS } from "../../../contracts/index.js";

export const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const Decimal = z
  .union([z.string().regex(/^\d{1,80}$/), z.number().int().nonnegative()])
  .transform((value) => BigInt(value))
  .refine((value) => value < SCALAR_MODULUS, "not below the BN254 scalar field modulus")
  .transform((value) => value.toString());

const Duration = z.union([z.string(), z.number().nonnegative()]).transform((value, ctx) => {
  if (typeof value === "number") return value * 1000;
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

export const BITFLIPS = ["h-bitflip", "a-bitflip", "c-bitflip"] as const;

/**
 * `POST /v1/jobs` and spool files. Exactly one witness form: a file the service can read,
 * the `.wtns` bytes in base64, or the witness values as decimal strings (`w[0]` = 1 first).
 */
export const JobRequest = z
  .object({
    id: z.string().regex(JOB_ID, "letters, digits, '.', '_', ':', '-'").optional(),
    circuit: CircuitId,
    witnessFile: z.string().min(1).max(4096).optional(),
    witness: z.string().min(1).base64().optional(),
    witnessValues: z.array(Decimal).min(1).max(10_000_000).optional(),
    expectedPublicSignals: z.array(Decimal).max(4096).optional(),
    /** Higher first; equal priorities in arrival order. */
    priority: z.number().int().min(-1_000_000).max(1_000_000).default(0),
    /** Longest wait for a GPU before the job is reported: "30s", "5m" or seconds. */
    deadline: Duration.optional(),
    /** Reproducible blinding (tests only). */
    seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict()
  .refine(
    (job) =>
      [job.witnessFile, job.witness, job.witnessValues].filter((w) => w !== undefined).length === 1,
    { message: "give exactly one of witnessFile, witness (base64 .wtns) or witnessValues" },
  );
export type JobRequest = z.infer<typeof JobRequest>;

/** `POST /v1/admin/faults`: `fault` null clears the GPU's fault. */
export const FaultRequest = z
  .object({
    uuid: z.string().min(1).max(128),
    fault: z.union([z.enum([...BITFLIPS, "stall"]), z.null()]),
    stallMs: z.number().int().min(1).max(600_000).optional(),
  })
  .strict()
  .refine((body) => body.fault !== "stall" || body.stallMs !== undefined, {
    message: "a stall fault needs stallMs",
  });

/** The daemon's first line. */
export const DaemonReady = z.union([
  z.looseObject({
    ready: z.literal(true),
    pid: z.number(),
    backend: z.string(),
    nPublic: z.number(),
    loadSeconds: z.number(),
    /** The CUDA runtime the daemon was built with and what the driver supports ("12.4"). */
    cudaRuntime: z.string().nullish(),
    cudaDriver: z.string().nullish(),
  }),
  z.looseObject({ ready: z.literal(false), code: z.number(), error: z.string() }),
]);
export type DaemonReady = z.infer<typeof DaemonReady>;

/** The daemon's answer to one request. */
export const DaemonAnswer = z.union([
  z.looseObject({
    id: z.string(),
    ok: z.literal(true),
    backend: z.string(),
    deviceBytes: z.number().nonnegative(),
    timings: z.record(z.string(), z.number()),
  }),
  z.looseObject({
    id: z.union([z.string(), z.null()]),
    ok: z.literal(false),
    code: z.number(),
    error: z.string(),
  }),
]);
export type DaemonAnswer = z.infer<typeof DaemonAnswer>;
