// Groth16 verification of snarkjs proofs through the proofwatch_verifier addon (BN254
// optimal ate pairing, verifier/native/ and bn254/src/pairing/).
//
// Two ways in. The verifier service parses a proof once, at its edge (src/schema.ts
// `checkProof`), and hands the addon its canonical form (`verifyCanonicalProof`,
// `verifyCanonicalBatch`): nothing is parsed again here. The JSON-text functions
// (`verifyProof`, `verifyBatch`, and `prepareKey`, which the service uses too) take texts that
// may be hostile, as a benchmark or a test holds them: they are parsed here with the one schema
// of a proof and of a key (contracts/groth16.ts: sizes, types, array lengths, protocol and
// curve); the public signal count is checked against the key. The addon receives only arrays
// of short strings and checks everything numeric itself: canonical decimals below the modulus,
// snarkjs' z convention, points on their curves, pi_b in G2. Every failure is a "malformed"
// verdict with a reason, never an exception (prepareKey excepted, by contract).
//
// All functions are synchronous; the service calls them from worker threads. The addon is
// context-aware, so each worker loads its own instance; a PreparedKey belongs to the thread
// that made it.
import { createRequire } from "node:module";
import { join } from "node:path";
import type { z } from "zod";
import { packageRoot } from "../common/package-root.js";
import {
  type CanonicalProof,
  exactDecimal,
  type FieldElementJson,
  Groth16Proof,
  MAX_PUBLIC_SIGNALS,
  PublicSignals,
  VerificationKey,
} from "../contracts/index.js";

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

/** A proof and its public signals, every number a canonical decimal below its modulus. */
export interface CanonicalItem {
  proof: CanonicalProof;
  publicSignals: readonly string[];
}

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

class NotExact extends Error {}

/**
 * The strings the addon takes. A number, which the schema lets through as JSON may carry one,
 * goes as the decimal it stands for, or is refused when JSON may have changed it.
 */
function texts(values: readonly FieldElementJson[], where: string): string[] {
  return values.map((value, i) => {
    if (typeof value === "string") return value;
    const text = exactDecimal(value);
    if (text === null) {
      throw new NotExact(
        `${where}[${i}]: ${value} is not a non-negative integer that JSON keeps exact`,
      );
    }
    return text;
  });
}

const g2Texts = (point: readonly (readonly FieldElementJson[])[], where: string): string[] =>
  point.flatMap((pair, i) => texts(pair, `${where}[${i}]`));

/** Parses and prepares a snarkjs verification_key.json; vk_alphabeta_12 is recomputed. */
export function prepareKey(verificationKeyJson: string): PreparedKey {
  const parsed = parseJson("key", verificationKeyJson, MAX_KEY_JSON_BYTES, VerificationKey);
  if (!parsed.ok) throw new Error(`invalid verification key: ${parsed.reason}`);
  const vk = parsed.value;
  let strings: string[];
  try {
    strings = [
      ...texts(vk.vk_alpha_1, "vk_alpha_1"),
      ...g2Texts(vk.vk_beta_2, "vk_beta_2"),
      ...g2Texts(vk.vk_gamma_2, "vk_gamma_2"),
      ...g2Texts(vk.vk_delta_2, "vk_delta_2"),
      ...vk.IC.flatMap((point, i) => texts(point, `IC[${i}]`)),
    ];
  } catch (error) {
    if (error instanceof NotExact)
      throw new Error(`invalid verification key: key ${error.message}`);
    throw error;
  }
  const handle = load().prepareKey(strings);
  if (typeof handle === "string") throw new Error(`invalid verification key: ${handle}`);
  return new NativeKey(vk.nPublic, handle);
}

function nativeKey(key: PreparedKey): NativeKey {
  if (!(key instanceof NativeKey)) throw new TypeError("not a key made by prepareKey()");
  return key;
}

type Item = { proof: string[]; publics: string[] };

function countMismatch(key: NativeKey, count: number): Parsed<never> | null {
  if (count === key.nPublic) return null;
  return { ok: false, reason: `expected ${key.nPublic} public signals (nPublic), got ${count}` };
}

function parseItem(key: NativeKey, proofJson: unknown, publicSignalsJson: unknown): Parsed<Item> {
  const proof = parseJson("proof", proofJson, MAX_PROOF_JSON_BYTES, Groth16Proof);
  if (!proof.ok) return proof;
  const publics = parseJson(
    "public signals",
    publicSignalsJson,
    MAX_PUBLIC_JSON_BYTES,
    PublicSignals,
  );
  if (!publics.ok) return publics;
  const mismatch = countMismatch(key, publics.value.length);
  if (mismatch) return mismatch;
  const p = proof.value;
  let what = "proof";
  try {
    const strings = [
      ...texts(p.pi_a, "pi_a"),
      ...g2Texts(p.pi_b, "pi_b"),
      ...texts(p.pi_c, "pi_c"),
    ];
    what = "public signals";
    return { ok: true, value: { proof: strings, publics: texts(publics.value, "") } };
  } catch (error) {
    if (error instanceof NotExact) return { ok: false, reason: `${what} ${error.message}` };
    throw error;
  }
}

function canonicalItem(key: NativeKey, item: CanonicalItem): Parsed<Item> {
  const mismatch = countMismatch(key, item.publicSignals.length);
  if (mismatch) return mismatch;
  const { pi_a, pi_b, pi_c } = item.proof;
  return {
    ok: true,
    value: { proof: [...pi_a, ...pi_b.flat(), ...pi_c], publics: [...item.publicSignals] },
  };
}

function toVerdict([code, reason]: [number, string]): Verdict {
  const result = RESULTS[code];
  if (result === undefined) throw new Error(`native verifier returned unknown code ${code}`);
  return result === "valid" ? { result } : { result, reason };
}

function verifyOne(key: NativeKey, item: Parsed<Item>): Verdict {
  if (!item.ok) return { result: "malformed", reason: item.reason };
  return toVerdict(load().verifyProof(key.handle, item.value.proof, item.value.publics));
}

/**
 * One combined pairing check for the well-formed items (random 128-bit coefficients, k + 2
 * Miller loops, one final exponentiation); if it fails, each item is checked on its own.
 * Malformed items get their verdict without taking part.
 */
function verifyMany(key: NativeKey, items: readonly Parsed<Item>[]): Verdict[] {
  const verdicts: Verdict[] = new Array(items.length);
  const proofs: string[][] = [];
  const publics: string[][] = [];
  const where: number[] = [];
  items.forEach((item, i) => {
    if (!item.ok) {
      verdicts[i] = { result: "malformed", reason: item.reason };
      return;
    }
    proofs.push(item.value.proof);
    publics.push(item.value.publics);
    where.push(i);
  });
  if (where.length > 0) {
    const results = load().verifyBatch(key.handle, proofs, publics);
    results.forEach((r, j) => {
      verdicts[where[j] as number] = toVerdict(r);
    });
  }
  return verdicts;
}

/** Verifies a snarkjs proof.json and public.json, as texts. */
export function verifyProof(
  key: PreparedKey,
  proofJson: string,
  publicSignalsJson: string,
): Verdict {
  const k = nativeKey(key);
  return verifyOne(k, parseItem(k, proofJson, publicSignalsJson));
}

/** `verifyProof` for many proofs at once, with one combined pairing check (`verifyMany`). */
export function verifyBatch(
  key: PreparedKey,
  items: ReadonlyArray<{ proofJson: string; publicSignalsJson: string }>,
): Verdict[] {
  const k = nativeKey(key);
  // Items come from callers' JSON too: a missing item reads as missing texts.
  return verifyMany(
    k,
    items.map((it) => parseItem(k, it?.proofJson, it?.publicSignalsJson)),
  );
}

/** Verifies a proof the caller has parsed already (the service, src/schema.ts `checkProof`). */
export function verifyCanonicalProof(key: PreparedKey, item: CanonicalItem): Verdict {
  const k = nativeKey(key);
  return verifyOne(k, canonicalItem(k, item));
}

/** `verifyCanonicalProof` for many proofs at once, with one combined pairing check. */
export function verifyCanonicalBatch(key: PreparedKey, items: readonly CanonicalItem[]): Verdict[] {
  const k = nativeKey(key);
  return verifyMany(
    k,
    items.map((item) => canonicalItem(k, item)),
  );
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
