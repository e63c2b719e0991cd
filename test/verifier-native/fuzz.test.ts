/**
 * Random byte and digit edits of a valid proof and its public signals: the verifier must
 * never crash and never accept a proof whose points or public signals changed. An edit that
 * leaves them identical (whitespace, a renamed optional key) may verify.
 */
import { isDeepStrictEqual } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import {
  nativeVerifierAvailable,
  type PreparedKey,
  prepareKey,
  verifyBatch,
  verifyProof,
} from "../../verifier/native.js";
import { Rng } from "../helpers/random.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { loadCircuit, type ProofCase } from "./support.js";

const available = nativeVerifierAvailable();
const CASES = 400;

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Whether an edited proof still says the same thing: the same three points and public
 * signals. Other keys do not take part in verification (an edit of "protocol" into an
 * unknown key leaves an optional field absent), so they may change freely.
 */
function sameStatement(proof: unknown, signals: unknown, base: ProofCase): boolean {
  if (typeof proof !== "object" || proof === null) return false;
  const p = proof as Record<string, unknown>;
  return (
    isDeepStrictEqual(p.pi_a, base.proof.pi_a) &&
    isDeepStrictEqual(p.pi_b, base.proof.pi_b) &&
    isDeepStrictEqual(p.pi_c, base.proof.pi_c) &&
    isDeepStrictEqual(signals, base.publicSignals)
  );
}

const printable = ' !"#$%&()*+,-./0123456789:[]{}abcdefxyz\n\t\\';

function mutate(text: string, rng: Rng): string {
  const at = rng.int(text.length);
  switch (rng.int(5)) {
    case 0: {
      // Another digit in place of a digit (the likeliest real-world corruption).
      const digits = [...text].flatMap((ch, i) => (ch >= "0" && ch <= "9" ? [i] : []));
      const i = digits[rng.int(digits.length)] as number;
      return `${text.slice(0, i)}${rng.int(10)}${text.slice(i + 1)}`;
    }
    case 1:
      return `${text.slice(0, at)}${printable[rng.int(printable.length)]}${text.slice(at + 1)}`;
    case 2:
      return text.slice(0, at) + text.slice(at + 1);
    case 3:
      return `${text.slice(0, at)}${rng.int(10)}${text.slice(at)}`;
    default:
      return `${text.slice(0, at)}${String.fromCharCode(rng.int(256))}${text.slice(at + 1)}`;
  }
}

describe.skipIf(!available)("fuzzed proofs", () => {
  let key: PreparedKey;
  let base: ProofCase;
  let proofText: string;
  let publicText: string;

  beforeAll(async () => {
    const { dir, cleanup } = await makeTempDir("verifier-fuzz");
    const circuit = await loadCircuit("multi_io", dir);
    await cleanup();
    key = prepareKey(circuit.keyJson);
    base = circuit.proofs[0] as ProofCase;
    // snarkjs' own layout: one value a line, so digit edits dominate.
    proofText = JSON.stringify(base.proof, null, 1);
    publicText = JSON.stringify(base.publicSignals, null, 1);
  });

  it("accepts the unmodified proof", () => {
    expect(verifyProof(key, proofText, publicText)).toEqual({ result: "valid" });
  });

  it(`never crashes and never accepts a changed value (${CASES} cases)`, () => {
    const rng = Rng.fromEnv("verifier-native-fuzz");
    const counts = { valid: 0, invalid: 0, malformed: 0 };
    const batch: { proofJson: string; publicSignalsJson: string; same: boolean }[] = [];
    for (let i = 0; i < CASES; ++i) {
      const onProof = rng.int(4) !== 0;
      let proof = proofText;
      let signals = publicText;
      for (let edits = 1 + rng.int(3); edits > 0; --edits) {
        if (onProof) proof = mutate(proof, rng);
        else signals = mutate(signals, rng);
      }
      const p = tryParse(proof);
      const s = tryParse(signals);
      const same = p.ok && s.ok && sameStatement(p.value, s.value, base);

      const verdict = verifyProof(key, proof, signals);

      counts[verdict.result]++;
      if (!same) {
        expect(verdict.result, `seed ${rng.seed} case ${i}: ${proof} ${signals}`).not.toBe("valid");
      }
      if (verdict.result !== "valid") expect(verdict.reason).toBeTruthy();
      batch.push({ proofJson: proof, publicSignalsJson: signals, same });
    }
    // Most edits break the JSON or a number's range or curve equation; a good share must
    // get through to the pairing check.
    expect(counts.malformed).toBeGreaterThan(0);
    expect(counts.invalid).toBeGreaterThan(0);

    // The same cases as batches of 50: the per-item verdicts match one by one.
    for (let at = 0; at < batch.length; at += 50) {
      const items = batch.slice(at, at + 50);
      const verdicts = verifyBatch(key, items);
      verdicts.forEach((v, j) => {
        const item = items[j] as (typeof items)[number];
        expect(v).toEqual(verifyProof(key, item.proofJson, item.publicSignalsJson));
      });
    }
  });
});
