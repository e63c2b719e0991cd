// `POST /v1/proofs` (docs/verifier.md): a proof, its public signals and who made it for which
// job. The prover service sends it (prover/service/src/verifier-client.ts); the verifier
// takes it over HTTP (verifier/src/server.ts) and, without `proof` and `publicSignals`, as a
// spool folder's meta.json (verifier/src/spool.ts).
import { z } from "zod";
import { CircuitId } from "./circuit-id.js";
import { Groth16Proof, PublicSignals } from "./groth16.js";

// Printable ASCII without spaces: NVML UUIDs (GPU-…, MIG-…) and host names fit.
const TOKEN = /^[\x21-\x7e]+$/;

/** The GPU that made the proof: a claim the verifier holds against the sender's identity. */
export const GpuIdentity = z.object({
  uuid: z.string().min(1).max(128).regex(TOKEN, "printable ASCII without spaces"),
  host: z.string().min(1).max(253).regex(TOKEN, "printable ASCII without spaces"),
});
export type GpuIdentity = z.infer<typeof GpuIdentity>;

/** Everything a submission says but the proof and its signals (a spool folder's meta.json). */
export const SubmissionMeta = z.object({
  circuit: CircuitId,
  gpu: GpuIdentity,
  prover: z.string().min(1).max(128).optional(),
  jobId: z.string().min(1).max(256),
  /** The job's own public signals, from whoever asked for the proof: the source of truth. */
  expectedPublicSignals: PublicSignals.optional(),
});
export type SubmissionMeta = z.infer<typeof SubmissionMeta>;

/** The message as a prover sends it. Fields not listed are dropped by the verifier. */
export const ProofSubmission = SubmissionMeta.extend({
  proof: Groth16Proof,
  publicSignals: PublicSignals,
});
export type ProofSubmission = z.infer<typeof ProofSubmission>;

// Arrays inside a proof are capped so that a huge one is refused before anything is stored.
const SmallArray = z.array(z.unknown()).max(8);

/**
 * The message as the verifier takes it in: `ProofSubmission` with the proof only bounded in
 * size. Its form (`Groth16Proof`) is judged right after, in the same request: a GPU that
 * writes something that is not a proof is what the verifier is for, so such a proof is
 * stored and recorded as malformed against that GPU, not refused as a bad request (which
 * could not even be attributed).
 */
export const ReceivedProofSubmission = ProofSubmission.extend({
  proof: z.looseObject({
    pi_a: SmallArray.optional(),
    pi_b: z
      .array(z.union([SmallArray, z.unknown()]))
      .max(8)
      .optional(),
    pi_c: SmallArray.optional(),
  }),
});
export type ReceivedProofSubmission = z.infer<typeof ReceivedProofSubmission>;
