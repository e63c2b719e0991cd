// Everything that crosses the edge is parsed here or in contracts/. Two layers, on purpose:
// - the envelope (who sent what, for which circuit and job) must have the right types, or the
//   request is refused with 400 and nothing is stored: it cannot even be attributed
//   (contracts/proof-submission.ts, `ReceivedProofSubmission`, parsed by server.ts and spool.ts);
// - the proof and its public signals are judged, not refused (`checkProof`): a GPU that
//   writes something that is not a proof is exactly what the verifier is for, so it is stored
//   and recorded as `malformed` with the reason.
import { createHash } from "node:crypto";
import { z } from "zod";
import { describeIssues, parseJson } from "../../common/schema.js";
import {
  type CanonicalProof,
  exactDecimal,
  FIELD_MODULUS,
  Groth16Proof,
  PublicSignals,
  SCALAR_MODULUS,
  VerificationKey,
} from "../../contracts/index.js";

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

/**
 * Checks a snarkjs verification_key.json (contracts/groth16.ts, the schema the native
 * verifier reads it with too) before native code sees it; returns nPublic.
 */
export function parseVerificationKey(text: string): number {
  const json = parseJson(text);
  if (!json.ok) throw new Error(json.error);
  const parsed = VerificationKey.safeParse(json.value);
  if (!parsed.success) throw new Error(describeIssues(parsed.error));
  return parsed.data.nPublic;
}

// --- proofs -------------------------------------------------------------------------------

export type ProofCheck =
  | { ok: true; proof: CanonicalProof; publicSignals: string[] }
  | { ok: false; reason: string };

class Malformed extends Error {}

function decimal(value: unknown, where: string, modulus: bigint): string {
  let text: string | null;
  if (typeof value === "number") {
    text = exactDecimal(value);
    if (text === null) {
      throw new Malformed(`${where}: ${value} is not a non-negative integer that JSON keeps exact`);
    }
  } else if (typeof value === "string" && /^\d{1,100}$/.test(value)) {
    text = value;
  } else {
    throw new Malformed(
      `${where}: ${JSON.stringify(value)?.slice(0, 40)} is not a decimal integer`,
    );
  }
  const n = BigInt(text);
  if (n >= modulus) throw new Malformed(`${where}: not below the field modulus`);
  return n.toString();
}

function coordinates<T extends readonly unknown[]>(values: T, where: string): string[] {
  return values.map((c, i) => decimal(c, `${where}[${i}]`, FIELD_MODULUS));
}

/** The first issue, named as a reason names a place: "proof.pi_b[0]: 2 elements, want 3". */
function firstIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  let where = what;
  for (const key of issue?.path ?? []) {
    where += typeof key === "number" ? `[${key}]` : `.${String(key)}`;
  }
  return `${where}: ${issue?.message ?? "not of the expected form"}`;
}

/**
 * Whether `proof` and `publicSignals` have the form of a Groth16 proof over BN254
 * (contracts/groth16.ts) for a key with `nPublic` public signals, with every number a decimal
 * integer below its modulus; and their canonical form if so. Points on the curve and in the
 * subgroup are for the native verifier to judge.
 */
export function checkProof(proof: unknown, publicSignals: unknown, nPublic: number): ProofCheck {
  const form = Groth16Proof.safeParse(proof);
  if (!form.success) return { ok: false, reason: firstIssue(form.error, "proof") };
  const signals = PublicSignals.safeParse(publicSignals);
  if (!signals.success) return { ok: false, reason: firstIssue(signals.error, "publicSignals") };
  if (signals.data.length !== nPublic) {
    return {
      ok: false,
      reason: `publicSignals: ${signals.data.length} values, the circuit has ${nPublic}`,
    };
  }
  try {
    const { pi_a, pi_b, pi_c } = form.data;
    const canonical = {
      pi_a: coordinates(pi_a, "proof.pi_a"),
      pi_b: pi_b.map((pair, i) => coordinates(pair, `proof.pi_b[${i}]`)),
      pi_c: coordinates(pi_c, "proof.pi_c"),
    } as CanonicalProof;
    const canonicalSignals = signals.data.map((s, i) =>
      decimal(s, `publicSignals[${i}]`, SCALAR_MODULUS),
    );
    return { ok: true, proof: canonical, publicSignals: canonicalSignals };
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
