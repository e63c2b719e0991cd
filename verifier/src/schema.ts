// Everything that crosses the edge is parsed here. Two layers, on purpose:
// - the envelope (who sent what, for which circuit and job) must have the right types, or the
//   request is refused with 400 and nothing is stored: it cannot even be attributed;
// - the proof and its public signals are judged, not refused: a GPU that writes something
//   that is not a proof is exactly what the verifier is for, so it is stored and recorded as
//   `malformed` with the reason.
import { createHash } from "node:crypto";
import { z } from "zod";
import { describeIssues, parseJson } from "../../common/schema.js";

/** BN254 base field modulus (coordinates of pi_a, pi_b, pi_c). */
export const FIELD_MODULUS =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** BN254 scalar field modulus (public signals). */
export const SCALAR_MODULUS =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Most public signals a submission may carry; more is refused as a huge array. */
export const MAX_PUBLIC_SIGNALS = 4096;

export const CIRCUIT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
// Printable ASCII without spaces: NVML UUIDs (GPU-…, MIG-…) and host names fit.
const TOKEN = /^[\x21-\x7e]+$/;

const Signal = z.union([z.string().max(100), z.number()]);
const Signals = z.array(Signal).max(MAX_PUBLIC_SIGNALS);

// Arrays inside a proof are capped here so that a huge one is refused before it is stored;
// their contents are checked later (checkProof), where a bad value makes the proof malformed.
const SmallArray = z.array(z.unknown()).max(8);
const ProofObject = z.looseObject({
  pi_a: SmallArray.optional(),
  pi_b: z
    .array(z.union([SmallArray, z.unknown()]))
    .max(8)
    .optional(),
  pi_c: SmallArray.optional(),
});

const Gpu = z.object({
  uuid: z.string().min(1).max(128).regex(TOKEN, "printable ASCII without spaces"),
  host: z.string().min(1).max(253).regex(TOKEN, "printable ASCII without spaces"),
});

/** What a prover tells about a proof: everything but the proof and its signals. */
export const SubmissionMeta = z.object({
  circuit: z.string().regex(CIRCUIT_ID, "a circuit id: letters, digits, '.', '_', '-'"),
  gpu: Gpu,
  prover: z.string().min(1).max(128).optional(),
  jobId: z.string().min(1).max(256),
  expectedPublicSignals: Signals.optional(),
});
export type SubmissionMeta = z.infer<typeof SubmissionMeta>;

/** `POST /v1/proofs`. Fields not listed (a prover's "skip sampling" wish, say) are dropped. */
export const SubmissionBody = SubmissionMeta.extend({
  proof: ProofObject,
  publicSignals: Signals,
});
export type SubmissionBody = z.infer<typeof SubmissionBody>;

/** Spool files: `public.json` is an array of signals, as snarkjs writes it. */
export const PublicSignalsFile = Signals;

/** `GET /v1/verdicts` */
export const VerdictsQuery = z.object({
  gpu: z.string().max(128).optional(),
  circuit: z.string().max(128).optional(),
  result: z.enum(["valid", "invalid", "malformed"]).optional(),
  status: z.enum(["accepted", "checked", "skipped"]).optional(),
  /** 1: only replays of a proof submitted before for another job or GPU; 0: none of them. */
  replay: z.enum(["0", "1", "true", "false"]).optional(),
  since: z
    .string()
    .refine((text) => !Number.isNaN(parseTime(text)), "an ISO 8601 time or Unix seconds")
    .optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** Only ids above this one: for paging through in id order. */
  after: z.coerce.number().int().min(0).default(0),
  full: z.enum(["0", "1", "true", "false"]).optional(),
});

/** ISO 8601, or Unix seconds as Prometheus writes them; NaN when neither. */
export function parseTime(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  return Date.parse(text);
}

// --- the snarkjs verification key -------------------------------------------------------

const Coordinate = z.string().regex(/^\d{1,80}$/);
const G1Json = z.array(Coordinate).length(3);
const G2Json = z.array(z.array(Coordinate).length(2)).length(3);

export const VerificationKey = z.looseObject({
  protocol: z.literal("groth16"),
  curve: z.enum(["bn128", "bn254"]),
  nPublic: z.number().int().min(0).max(MAX_PUBLIC_SIGNALS),
  vk_alpha_1: G1Json,
  vk_beta_2: G2Json,
  vk_gamma_2: G2Json,
  vk_delta_2: G2Json,
  IC: z.array(G1Json).min(1),
});

/** Checks a snarkjs verification_key.json before native code sees it; returns nPublic. */
export function parseVerificationKey(text: string): number {
  const json = parseJson(text);
  if (!json.ok) throw new Error(json.error);
  const parsed = VerificationKey.safeParse(json.value);
  if (!parsed.success) throw new Error(describeIssues(parsed.error));
  if (parsed.data.IC.length !== parsed.data.nPublic + 1) {
    throw new Error(`IC has ${parsed.data.IC.length} points, nPublic is ${parsed.data.nPublic}`);
  }
  return parsed.data.nPublic;
}

// --- proofs -------------------------------------------------------------------------------

/** A proof that has the shape of a snarkjs Groth16 proof, numbers in canonical decimal. */
export interface CanonicalProof {
  pi_a: [string, string, string];
  pi_b: [[string, string], [string, string], [string, string]];
  pi_c: [string, string, string];
}

export type ProofCheck =
  | { ok: true; proof: CanonicalProof; publicSignals: string[] }
  | { ok: false; reason: string };

class Malformed extends Error {}

function decimal(value: unknown, where: string, modulus: bigint): string {
  let n: bigint;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Malformed(`${where}: ${value} is not a non-negative integer that JSON keeps exact`);
    }
    n = BigInt(value);
  } else if (typeof value === "string" && /^\d{1,100}$/.test(value)) {
    n = BigInt(value);
  } else {
    throw new Malformed(
      `${where}: ${JSON.stringify(value)?.slice(0, 40)} is not a decimal integer`,
    );
  }
  if (n >= modulus) throw new Malformed(`${where}: not below the field modulus`);
  return n.toString();
}

function tuple(value: unknown, length: number, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Malformed(`${where}: missing or not an array`);
  if (value.length !== length) {
    throw new Malformed(`${where}: ${value.length} elements, want ${length}`);
  }
  return value;
}

function g1(value: unknown, where: string): [string, string, string] {
  return tuple(value, 3, where).map((c, i) => decimal(c, `${where}[${i}]`, FIELD_MODULUS)) as [
    string,
    string,
    string,
  ];
}

/**
 * Whether `proof` and `publicSignals` have the form of a Groth16 proof over BN254 for a key
 * with `nPublic` public signals, and their canonical form if so. Points on the curve and in
 * the subgroup are for the native verifier to judge.
 */
export function checkProof(proof: unknown, publicSignals: unknown, nPublic: number): ProofCheck {
  try {
    if (typeof proof !== "object" || proof === null || Array.isArray(proof)) {
      throw new Malformed("proof: not a JSON object");
    }
    const p = proof as Record<string, unknown>;
    if (p.protocol !== undefined && p.protocol !== "groth16") {
      throw new Malformed(`proof.protocol: ${JSON.stringify(p.protocol)}, want "groth16"`);
    }
    if (p.curve !== undefined && p.curve !== "bn128" && p.curve !== "bn254") {
      throw new Malformed(`proof.curve: ${JSON.stringify(p.curve)}, want "bn128"`);
    }
    const canonical: CanonicalProof = {
      pi_a: g1(p.pi_a, "proof.pi_a"),
      pi_b: tuple(p.pi_b, 3, "proof.pi_b").map((pair, i) =>
        tuple(pair, 2, `proof.pi_b[${i}]`).map((c, j) =>
          decimal(c, `proof.pi_b[${i}][${j}]`, FIELD_MODULUS),
        ),
      ) as CanonicalProof["pi_b"],
      pi_c: g1(p.pi_c, "proof.pi_c"),
    };
    if (!Array.isArray(publicSignals)) throw new Malformed("publicSignals: not an array");
    if (publicSignals.length !== nPublic) {
      throw new Malformed(
        `publicSignals: ${publicSignals.length} values, the circuit has ${nPublic}`,
      );
    }
    const signals = publicSignals.map((s, i) => decimal(s, `publicSignals[${i}]`, SCALAR_MODULUS));
    return { ok: true, proof: canonical, publicSignals: signals };
  } catch (error) {
    if (error instanceof Malformed) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Expected signals in canonical form, or null when they are not all decimal integers. */
export function canonicalSignals(signals: readonly unknown[]): string[] | null {
  try {
    return signals.map((s, i) => decimal(s, `[${i}]`, SCALAR_MODULUS));
  } catch (error) {
    if (error instanceof Malformed) return null;
    throw error;
  }
}

/** Text already serialised, on canonicalJson's stack among the values still to write. */
class Written {
  constructor(readonly text: string) {}
}
const COMMA = new Written(",");

/**
 * JSON with object keys sorted, so that key order and whitespace do not change a hash. With
 * an explicit stack rather than recursion: a value nested 100 000 deep (a body parseJson would
 * refuse, but this does not rely on it) costs memory in proportion, never the call stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Popped from the end: each container pushes its closing bracket, its members in reverse
  // order and its opening bracket last.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item instanceof Written) {
      out.push(item.text);
    } else if (Array.isArray(item)) {
      stack.push(new Written("]"));
      for (let i = item.length - 1; i >= 0; i--) {
        stack.push(item[i]);
        if (i > 0) stack.push(COMMA);
      }
      stack.push(new Written("["));
    } else if (typeof item === "object" && item !== null) {
      const keys = Object.keys(item).sort();
      stack.push(new Written("}"));
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push((item as Record<string, unknown>)[key]);
        stack.push(new Written(`${JSON.stringify(key)}:`));
        if (i > 0) stack.push(COMMA);
      }
      stack.push(new Written("{"));
    } else {
      out.push(JSON.stringify(item) ?? "null");
    }
  }
  return out.join("");
}

/**
 * The dedupe key: sha256 of the canonical proof and public signals. For a well-formed proof
 * the numbers are canonical decimals (so "033" and 33 are one proof); for anything else it
 * is the received JSON with sorted keys.
 */
export function proofHash(check: ProofCheck, proof: unknown, publicSignals: unknown): string {
  const material = check.ok
    ? canonicalJson({ proof: check.proof, publicSignals: check.publicSignals })
    : canonicalJson({ proof, publicSignals });
  return createHash("sha256").update(material).digest("hex");
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
