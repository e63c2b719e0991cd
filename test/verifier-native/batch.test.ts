/**
 * Batch verification: one combined randomised check, per-item fallback when it fails,
 * malformed items reported without spoiling the rest.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  batchCounters,
  nativeVerifierAvailable,
  type PreparedKey,
  prepareKey,
  verifyBatch,
} from "../../verifier/native.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { type Circuit, clone, loadCircuit, type ProofCase } from "./support.js";

const available = nativeVerifierAvailable();

function item(p: ProofCase) {
  return { proofJson: JSON.stringify(p.proof), publicSignalsJson: JSON.stringify(p.publicSignals) };
}

describe.skipIf(!available)("verifyBatch", () => {
  let circuit: Circuit;
  let key: PreparedKey;
  let good: ProofCase[];

  beforeAll(async () => {
    const { dir, cleanup } = await makeTempDir("verifier-batch");
    circuit = await loadCircuit("multi_io", dir, 2);
    await cleanup();
    key = prepareKey(circuit.keyJson);
    good = circuit.proofs;
  });

  function goodItems(n: number) {
    return Array.from({ length: n }, (_, i) => item(good[i % good.length] as ProofCase));
  }

  it("accepts a batch of valid proofs with one combined check", () => {
    const before = batchCounters();
    expect(verifyBatch(key, goodItems(17))).toEqual(Array(17).fill({ result: "valid" }));
    // Passed together, not valid only through the one-by-one fallback.
    expect(batchCounters()).toEqual({
      combinedChecks: before.combinedChecks + 1,
      combinedPasses: before.combinedPasses + 1,
    });
  });

  it("finds the one invalid proof among valid ones", () => {
    const items = goodItems(12);
    const bad = clone(good[1] as ProofCase);
    bad.publicSignals[5] = "8";
    items[7] = item(bad);

    const before = batchCounters();
    const verdicts = verifyBatch(key, items);

    expect(batchCounters()).toEqual({ ...before, combinedChecks: before.combinedChecks + 1 });
    expect(verdicts.filter((v) => v.result !== "valid")).toHaveLength(1);
    expect(verdicts[7]).toEqual({ result: "invalid", reason: "pairing check failed" });
  });

  it("finds a swapped point among valid ones", () => {
    const items = goodItems(9);
    const bad = clone(good[0] as ProofCase);
    bad.proof.pi_c = (good[1] as ProofCase).proof.pi_c;
    items[0] = item(bad);

    const verdicts = verifyBatch(key, items);

    expect(verdicts.map((v) => v.result)).toEqual(["invalid", ...Array(8).fill("valid")]);
  });

  it("reports malformed items and still checks the rest together", () => {
    const items = goodItems(6);
    items[2] = { proofJson: "{", publicSignalsJson: "[]" };
    const offCurve = clone(good[0] as ProofCase);
    offCurve.proof.pi_a[0] = "7";
    items[4] = item(offCurve);

    const verdicts = verifyBatch(key, items);

    expect(verdicts.map((v) => v.result)).toEqual([
      "valid",
      "valid",
      "malformed",
      "valid",
      "malformed",
      "valid",
    ]);
    expect(verdicts[4]?.reason).toBe("pi_a is not on the curve");
  });

  it("reports missing or mistyped items as malformed", () => {
    const items = [
      ...goodItems(2),
      null,
      { proofJson: 5, publicSignalsJson: "[]" },
    ] as unknown as Parameters<typeof verifyBatch>[1];

    const verdicts = verifyBatch(key, items);

    expect(verdicts.map((v) => v.result)).toEqual(["valid", "valid", "malformed", "malformed"]);
    expect(verdicts[3]?.reason).toBe("proof JSON is not a string");
  });

  it("handles empty and single-item batches", () => {
    expect(verifyBatch(key, [])).toEqual([]);
    expect(verifyBatch(key, goodItems(1))).toEqual([{ result: "valid" }]);
  });

  it("rejects a batch where every proof is invalid", () => {
    const bad = clone(good[0] as ProofCase);
    bad.publicSignals.reverse();
    const verdicts = verifyBatch(key, Array(5).fill(item(bad)));

    expect(verdicts).toEqual(Array(5).fill({ result: "invalid", reason: "pairing check failed" }));
  });
});
