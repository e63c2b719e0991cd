// Groth16 verification of snarkjs proofs through the proofwatch_verifier addon (BN254
// optimal ate pairing, verifier/native/ and prover/src/pairing/).
//
// The JSON texts may be hostile. They are parsed and shape-checked here (sizes, types,
// array lengths, protocol and curve, the public signal count); the addon then receives only
// arrays of short strings and checks everything numeric itself: canonical decimals below
// the modulus, snarkjs' z convention, points on their curves, pi_b in G2. Every failure is
// a "malformed" verdict with a reason, never an exception (prepareKey excepted, by contract).
//
// All functions are synchronous; the service calls them from worker threads. The addon is
// context-aware, so each worker loads its own instance; a PreparedKey belongs to the thread
// that made it.
import { createRequire } from "node:module";
import { join } from "node:path";
import { z } from "zod";
import { packageRoot } from "../common/package-root.js";

export type VerdictResult = "valid" | "invalid" | "malformed";
/** reason: "pairing check failed" when invalid; what is wrong when malformed. */
export interface Verdict {
  result: VerdictResult;
  reason?: string;
}
/** An opaque native handle: the key's G2 lines, IC tables and e(alpha, beta), made once. */
export interface PreparedKey {
  readonly nPublic: number;
}

/** Over-long texts are refused before JSON.parse: a proof is about 1 KiB. */
export const MAX_PROOF_JSON_BYTES = 64 * 1024;
/** 200 bytes per public signal is generous (a signal is at most 77 digits). */
export const MAX_PUBLIC_SIGNALS = 100_000;
export const MAX_PUBLIC_JSON_BYTES = MAX_PUBLIC_SIGNALS * 200;
export const MAX_KEY_JSON_BYTES = 64 * 1024 * 1024;

interface Binding {
  prepareKey(strings: string[]): unknown;
  verifyProof(key: unknown, proof: string[], publics: string[]): [number, string];
  verifyBatch(key: unknown, proofs: string[][], publics: string[][]): [number, string][];
  pairingSelfTest(seed: number): [string, boolean][];
  batchCounters(): [number, number];
}

const RESULTS: readonly VerdictResult[] = ["valid", "invalid", "malformed"];

let binding: Binding | undefined;
let loadError: Error | undefined;

/** The addon's path; PROOFWATCH_VERIFIER_ADDON points at another build. */
export function addonPath(): string {
  return (
    process.env.PROOFWATCH_VERIFIER_ADDON ??
    join(packageRoot(), "build", "Release", "proofwatch_verifier.node")
  );
}

function load(): Binding {
  if (binding) return binding;
  if (loadError) throw loadError;
  try {
    binding = createRequire(import.meta.url)(addonPath()) as Binding;
    return binding;
  } catch (err) {
    loadError = new Error(
      `native verifier not available (${addonPath()}): ${(err as Error).message}`,
    );
    throw loadError;
  }
}

export function nativeVerifierAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

// Decimal content is checked natively (with the field name in the reason); here only the
// type and a length bound, so no huge string crosses into C++.
const decimal = z.string().max(100);
const g1 = z.tuple([decimal, decimal, decimal]);
const fq2 = z.tuple([decimal, decimal]);
const g2 = z.tuple([fq2, fq2, fq2]);

const keySchema = z.object({
  protocol: z.literal("groth16").optional(),
  curve: z.literal("bn128").optional(),
  nPublic: z.number().int().min(0).max(MAX_PUBLIC_SIGNALS),
  vk_alpha_1: g1,
  vk_beta_2: g2,
  vk_gamma_2: g2,
  vk_delta_2: g2,
  IC: z
    .array(g1)
    .min(1)
    .max(MAX_PUBLIC_SIGNALS + 1),
});

const proofSchema = z.object({
  protocol: z.literal("groth16").optional(),
  curve: z.literal("bn128").optional(),
  pi_a: g1,
  pi_b: g2,
  pi_c: g1,
});

const publicSchema = z.array(decimal).max(MAX_PUBLIC_SIGNALS);

class NativeKey implements PreparedKey {
  constructor(
    readonly nPublic: number,
    readonly handle: unknown,
  ) {}
}

function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseJson<T>(
  what: string,
  text: unknown,
  maxBytes: number,
  schema: z.ZodType<T>,
): Parsed<T> {
  if (typeof text !== "string") return { ok: false, reason: `${what} JSON is not a string` };
  // UTF-16 length bounds the UTF-8 size from below; a cheap first cut before parsing.
  if (text.length > maxBytes) {
    return { ok: false, reason: `${what} JSON is larger than ${maxBytes} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `${what} is not valid JSON: ${(err as Error).message}` };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const where = issue ? issuePath(issue.path) : "";
  const message = issue?.message ?? "does not match the expected shape";
  return { ok: false, reason: `${what}${where ? ` ${where}` : ""}: ${message}` };
}

const g1Strings = (p: readonly string[]): string[] => [...p];
const g2Strings = (p: readonly (readonly string[])[]): string[] => p.flat();

/** Parses and prepares a snarkjs verification_key.json; vk_alphabeta_12 is recomputed. */
export function prepareKey(verificationKeyJson: string): PreparedKey {
  const parsed = parseJson("key", verificationKeyJson, MAX_KEY_JSON_BYTES, keySchema);
  if (!parsed.ok) throw new Error(`invalid verification key: ${parsed.reason}`);
  const vk = parsed.value;
  if (vk.IC.length !== vk.nPublic + 1) {
    throw new Error(
      `invalid verification key: IC has ${vk.IC.length} points, nPublic + 1 = ${vk.nPublic + 1} expected`,
    );
  }
  const strings = [
    ...g1Strings(vk.vk_alpha_1),
    ...g2Strings(vk.vk_beta_2),
    ...g2Strings(vk.vk_gamma_2),
    ...g2Strings(vk.vk_delta_2),
    ...vk.IC.flatMap(g1Strings),
  ];
  const handle = load().prepareKey(strings);
  if (typeof handle === "string") throw new Error(`invalid verification key: ${handle}`);
  return new NativeKey(vk.nPublic, handle);
}

function nativeKey(key: PreparedKey): NativeKey {
  if (!(key instanceof NativeKey)) throw new TypeError("not a key made by prepareKey()");
  return key;
}

type Item = { proof: string[]; publics: string[] };

function parseItem(key: NativeKey, proofJson: unknown, publicSignalsJson: unknown): Parsed<Item> {
  const proof = parseJson("proof", proofJson, MAX_PROOF_JSON_BYTES, proofSchema);
  if (!proof.ok) return proof;
  const publics = parseJson(
    "public signals",
    publicSignalsJson,
    MAX_PUBLIC_JSON_BYTES,
    publicSchema,
  );
  if (!publics.ok) return publics;
  if (publics.value.length !== key.nPublic) {
    return {
      ok: false,
      reason: `expected ${key.nPublic} public signals (nPublic), got ${publics.value.length}`,
    };
  }
  const p = proof.value;
  return {
    ok: true,
    value: {
      proof: [...g1Strings(p.pi_a), ...g2Strings(p.pi_b), ...g1Strings(p.pi_c)],
      publics: publics.value,
    },
  };
}

function toVerdict([code, reason]: [number, string]): Verdict {
  const result = RESULTS[code];
  if (result === undefined) throw new Error(`native verifier returned unknown code ${code}`);
  return result === "valid" ? { result } : { result, reason };
}

export function verifyProof(
  key: PreparedKey,
  proofJson: string,
  publicSignalsJson: string,
): Verdict {
  const k = nativeKey(key);
  const item = parseItem(k, proofJson, publicSignalsJson);
  if (!item.ok) return { result: "malformed", reason: item.reason };
  return toVerdict(load().verifyProof(k.handle, item.value.proof, item.value.publics));
}

/**
 * One combined pairing check for the well-formed items (random 128-bit coefficients, k + 2
 * Miller loops, one final exponentiation); if it fails, each item is checked on its own.
 * Malformed items get their verdict without taking part.
 */
export function verifyBatch(
  key: PreparedKey,
  items: ReadonlyArray<{ proofJson: string; publicSignalsJson: string }>,
): Verdict[] {
  const k = nativeKey(key);
  const verdicts: Verdict[] = new Array(items.length);
  const proofs: string[][] = [];
  const publics: string[][] = [];
  const where: number[] = [];
  items.forEach((it, i) => {
    // Items come from callers' JSON too: a missing item reads as missing texts.
    const item = parseItem(k, it?.proofJson, it?.publicSignalsJson);
    if (!item.ok) {
      verdicts[i] = { result: "malformed", reason: item.reason };
      return;
    }
    proofs.push(item.value.proof);
    publics.push(item.value.publics);
    where.push(i);
  });
  if (where.length > 0) {
    const results = load().verifyBatch(k.handle, proofs, publics);
    results.forEach((r, j) => {
      verdicts[where[j] as number] = toVerdict(r);
    });
  }
  return verdicts;
}

/**
 * Testing hook: algebraic self-checks of the compiled pairing (bilinearity, non-degeneracy,
 * Frobenius and subgroup tests) on random inputs drawn from `seed`.
 */
export function pairingSelfTest(seed = 1): { name: string; ok: boolean }[] {
  return load()
    .pairingSelfTest(seed)
    .map(([name, ok]) => ({ name, ok }));
}

/**
 * Testing hook: how many batches took the combined pairing check in this process, and how
 * many passed it. A wrong combined equation would only slow batches down (each item is
 * then checked alone), so the tests watch these.
 */
export function batchCounters(): { combinedChecks: number; combinedPasses: number } {
  const [combinedChecks, combinedPasses] = load().batchCounters();
  return { combinedChecks, combinedPasses };
}
