/**
 * The prover's NTT over Fr (through prover-testkit): forward transform against a naive
 * O(n^2) DFT in BigInt, inverse against the naive inverse, and round trips at sizes
 * where a naive DFT would be too slow.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { Fr, R, rootOfUnity } from "../helpers/bn254.js";
import { Rng } from "../helpers/random.js";
import { describeWithTestkit } from "./prover-run.js";
import { decode, encode, Testkit } from "./testkit.js";

const rng = Rng.fromEnv("ntt");
let kit: Testkit;

/** X_k = sum_j x_j w^(jk) with w the primitive n-th root snarkjs uses. */
function naiveDft(values: readonly bigint[], inverse = false): bigint[] {
  const n = values.length;
  const log = Math.log2(n);
  const w = inverse ? Fr.inv(rootOfUnity(log)) : rootOfUnity(log);
  const scale = inverse ? Fr.inv(BigInt(n)) : 1n;
  return values.map((_, k) => {
    const wk = Fr.pow(w, BigInt(k));
    let sum = 0n;
    let power = 1n;
    for (const x of values) {
      sum = Fr.add(sum, Fr.mul(x, power));
      power = Fr.mul(power, wk);
    }
    return Fr.mul(sum, scale);
  });
}

function randomValues(n: number): bigint[] {
  return Array.from({ length: n }, () => rng.below(R));
}

async function transform(op: "ntt" | "intt", values: readonly bigint[]): Promise<bigint[]> {
  return decode.fields(await kit.request(op, { values: values.map(encode.field) }));
}

describeWithTestkit("prover NTT", () => {
  beforeAll(() => {
    kit = new Testkit();
  });
  afterAll(async () => kit?.close());

  it("uses snarkjs' primitive 2^k-th roots of unity, k = 0..28", async () => {
    const ks = Array.from({ length: 29 }, (_, k) => k);

    const roots = (
      await Promise.all(ks.map((k) => kit.request("root_of_unity", { log_n: k })))
    ).map(decode.field);

    expect(roots).toEqual(ks.map(rootOfUnity));
    for (const [k, w] of roots.entries()) {
      expect(Fr.pow(w, 2n ** BigInt(k)), `w_${k}^(2^${k})`).toBe(1n);
      if (k > 0) expect(Fr.pow(w, 2n ** BigInt(k - 1)), `w_${k} primitive`).toBe(R - 1n);
    }
  });

  it.each([1, 2, 4, 8, 16, 64])(
    `ntt of size %i equals the naive DFT (seed ${rng.seed})`,
    async (n) => {
      const values = randomValues(n);

      const result = await transform("ntt", values);

      expect(result).toEqual(naiveDft(values));
    },
  );

  it.each([2, 8, 32])("intt of size %i equals the naive inverse DFT", async (n) => {
    const values = randomValues(n);

    const result = await transform("intt", values);

    expect(result).toEqual(naiveDft(values, true));
  });

  it("transforms edge vectors: a delta, a constant, r-1 everywhere", async () => {
    const n = 16;
    const cases = [
      [1n, ...new Array<bigint>(n - 1).fill(0n)],
      new Array<bigint>(n).fill(7n),
      new Array<bigint>(n).fill(R - 1n),
      new Array<bigint>(n).fill(0n),
    ];

    const results = await Promise.all(cases.map((values) => transform("ntt", values)));

    expect(results).toEqual(cases.map((values) => naiveDft(values)));
  });

  it.each([2 ** 10, 2 ** 14])("intt(ntt(x)) = x at size %i", async (n) => {
    const values = randomValues(n);

    const forward = await transform("ntt", values);
    const back = await transform("intt", forward);

    expect(forward).not.toEqual(values);
    expect(back).toEqual(values);
  });

  it("refuses a length that is not a power of two", async () => {
    await expect(transform("ntt", randomValues(12))).rejects.toThrow(/power of two/);
  });
});
