/**
 * The prover's curve arithmetic and multi-scalar multiplication (through prover-testkit)
 * against plain BigInt affine arithmetic: each MSM is checked against the naive sum of
 * scalar multiples, and that sum against (sum of s_i k_i) G for points P_i = k_i G.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Fr,
  G1_GENERATOR,
  type G1Point,
  G2_GENERATOR,
  type G2Point,
  g1Add,
  g1Mul,
  g1Neg,
  g2Add,
  g2Mul,
  g2Neg,
  R,
} from "../helpers/bn254.js";
import { Rng } from "../helpers/random.js";
import { describeWithTestkit } from "./prover-run.js";
import { decode, encode, Testkit } from "./testkit.js";

const rng = Rng.fromEnv("msm");

interface Base {
  k: bigint;
  point: G1Point;
}

/** Random multiples of G, made once: affine BigInt scalar multiplication costs ~15 ms. */
const POOL_SIZE = 300;
let pool: Base[];
let kit: Testkit;

function naiveSum(points: readonly G1Point[], scalars: readonly bigint[]): G1Point {
  return points.reduce<G1Point>((sum, p, i) => g1Add(sum, g1Mul(p, scalars[i] ?? 0n)), null);
}

/** Scalars with the shapes bucket methods get wrong: zeros, ones, r-1, small, random. */
function mixedScalars(n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => {
    switch (i % 10) {
      case 0:
        return 0n;
      case 1:
        return 1n;
      case 2:
        return R - 1n;
      case 3:
        return BigInt(rng.int(1 << 16));
      default:
        return rng.below(R);
    }
  });
}

async function g1Msm(points: readonly G1Point[], scalars: readonly bigint[]): Promise<G1Point> {
  return decode.g1(
    await kit.request("g1_msm", {
      points: points.map(encode.g1),
      scalars: scalars.map(encode.field),
    }),
  );
}

describeWithTestkit("prover curve arithmetic and MSM", () => {
  beforeAll(() => {
    kit = new Testkit();
    pool = Array.from({ length: POOL_SIZE }, () => {
      const k = rng.below(R - 1n) + 1n;
      return { k, point: g1Mul(G1_GENERATOR, k) };
    });
  }, 120_000);
  afterAll(async () => kit?.close());

  describe("G1", () => {
    it("g1_add handles distinct points, doubling, inverses and infinity", async () => {
      const [p, q] = [pool[0]?.point ?? null, pool[1]?.point ?? null];
      const cases: Array<[G1Point, G1Point]> = [
        [p, q],
        [p, p],
        [p, g1Neg(p)],
        [p, null],
        [null, q],
      ];

      const results = await Promise.all(
        cases.map(([a, b]) => kit.request("g1_add", { a: encode.g1(a), b: encode.g1(b) })),
      );

      expect(results.map(decode.g1)).toEqual(cases.map(([a, b]) => g1Add(a, b)));
    });

    it(`g1_scalar_mul matches BigInt for 0, 1, 2, r-1 and random scalars (seed ${rng.seed})`, async () => {
      const p = pool[2]?.point ?? null;
      const scalars = [0n, 1n, 2n, R - 1n, ...Array.from({ length: 8 }, () => rng.below(R))];

      const results = await Promise.all(
        scalars.map((s) =>
          kit.request("g1_scalar_mul", { point: encode.g1(p), scalar: encode.field(s) }),
        ),
      );

      expect(results.map(decode.g1)).toEqual(scalars.map((s) => g1Mul(p, s)));
    });

    it("refuses a point off the curve", async () => {
      await expect(
        kit.request("g1_scalar_mul", { point: ["1", "3"], scalar: "5" }),
      ).rejects.toThrow(/curve/);
    });
  });

  describe("g1_msm", () => {
    it.each([1, 2, 3, 16, 33, 100, POOL_SIZE])(
      `n = %i, mixed scalars, equals the naive sum (seed ${rng.seed})`,
      async (n) => {
        const bases = pool.slice(0, n);
        const points = bases.map((b) => b.point);
        const scalars = mixedScalars(n);

        const result = await g1Msm(points, scalars);

        const expected = naiveSum(points, scalars);
        const viaScalars = g1Mul(
          G1_GENERATOR,
          bases.reduce((acc, b, i) => Fr.add(acc, Fr.mul(b.k, scalars[i] ?? 0n)), 0n),
        );
        expect(expected).toEqual(viaScalars);
        expect(result).toEqual(expected);
      },
      120_000,
    );

    it("is infinity when every scalar is zero", async () => {
      const points = pool.slice(0, 40).map((b) => b.point);

      const result = await g1Msm(points, new Array<bigint>(points.length).fill(0n));

      expect(result).toBeNull();
    });

    it("doubles inside a bucket: one point repeated with one scalar", async () => {
      const p = pool[3]?.point ?? null;
      const s = rng.below(R);
      const n = 37;

      const result = await g1Msm(new Array<G1Point>(n).fill(p), new Array<bigint>(n).fill(s));

      expect(result).toEqual(g1Mul(p, Fr.mul(s, BigInt(n))));
    });

    it("cancels P against -P with equal scalars, and skips points at infinity", async () => {
      const ps = pool.slice(10, 20).map((b) => b.point);
      const scalars = mixedScalars(ps.length);
      const points = [...ps, ...ps.map(g1Neg), null, null];
      const allScalars = [...scalars, ...scalars, rng.below(R), 1n];

      const result = await g1Msm(points, allScalars);

      expect(result).toBeNull();
    });

    it("agrees for small scalars only (high windows empty)", async () => {
      const points = pool.slice(0, 64).map((b) => b.point);
      const scalars = points.map(() => BigInt(rng.int(256)));

      const result = await g1Msm(points, scalars);

      expect(result).toEqual(naiveSum(points, scalars));
    });

    // From about 250 non-trivial scalars the top window's few buckets are spread over lanes
    // that are summed before the bucket reduction, which runs in batched affine additions:
    // equal lane or bucket sums meet there (doublings, cancellations), not only in buckets.
    it(`n = 600, two copies of the pool with random scalars (seed ${rng.seed})`, async () => {
      const bases = [...pool, ...pool];
      const scalars = bases.map(() => rng.below(R));

      const result = await g1Msm(
        bases.map((b) => b.point),
        scalars,
      );

      const k = bases.reduce((acc, b, i) => Fr.add(acc, Fr.mul(b.k, scalars[i] ?? 0n)), 0n);
      expect(result).toEqual(g1Mul(G1_GENERATOR, k));
    });

    it("one point 600 times with one scalar: equal sums in lanes and running sums", async () => {
      const p = pool[5]?.point ?? null;
      const s = rng.below(R);

      const result = await g1Msm(new Array<G1Point>(600).fill(p), new Array<bigint>(600).fill(s));

      expect(result).toEqual(g1Mul(p, Fr.mul(s, 600n)));
    });

    it("P and -P alternating 600 times with one scalar cancel across lanes", async () => {
      const p = pool[6]?.point ?? null;
      const points = Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? p : g1Neg(p)));

      const result = await g1Msm(points, new Array<bigint>(600).fill(rng.below(R)));

      expect(result).toBeNull();
    });

    it("gives the same answer on one thread", async () => {
      const single = new Testkit(["--threads", "1"]);
      const points = pool.slice(0, 100).map((b) => b.point);
      const scalars = mixedScalars(points.length);
      try {
        const [one, many] = await Promise.all([
          single.request("g1_msm", {
            points: points.map(encode.g1),
            scalars: scalars.map(encode.field),
          }),
          g1Msm(points, scalars),
        ]);

        expect(decode.g1(one)).toEqual(many);
        expect(many).toEqual(naiveSum(points, scalars));
      } finally {
        await single.close();
      }
    }, 120_000);
  });

  describe("G2", () => {
    it("g2_msm: one point 600 times, and with its negation alternating (lanes, equal sums)", async () => {
      const q = g2Mul(G2_GENERATOR, rng.below(R - 1n) + 1n);
      const s = rng.below(R);
      const alternating = Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? q : g2Neg(q)));

      const [same, cancel] = await Promise.all([
        kit.request("g2_msm", {
          points: new Array<G2Point>(600).fill(q).map(encode.g2),
          scalars: new Array<bigint>(600).fill(s).map(encode.field),
        }),
        kit.request("g2_msm", {
          points: alternating.map(encode.g2),
          scalars: new Array<bigint>(600).fill(s).map(encode.field),
        }),
      ]);

      expect(decode.g2(same)).toEqual(g2Mul(q, Fr.mul(s, 600n)));
      expect(decode.g2(cancel)).toBeNull();
    }, 120_000);

    it(`g2_scalar_mul and g2_msm match BigInt (seed ${rng.seed})`, async () => {
      const points: G2Point[] = Array.from({ length: 6 }, () =>
        g2Mul(G2_GENERATOR, rng.below(R - 1n) + 1n),
      );
      points.push(g2Neg(points[0] ?? null), null);
      const scalars = [0n, 1n, R - 1n, ...Array.from({ length: 5 }, () => rng.below(R))];

      const [mul, msm] = await Promise.all([
        kit.request("g2_scalar_mul", {
          point: encode.g2(points[1] ?? null),
          scalar: encode.field(scalars[4] ?? 0n),
        }),
        kit.request("g2_msm", {
          points: points.map(encode.g2),
          scalars: scalars.map(encode.field),
        }),
      ]);

      expect(decode.g2(mul)).toEqual(g2Mul(points[1] ?? null, scalars[4] ?? 0n));
      expect(decode.g2(msm)).toEqual(
        points.reduce<G2Point>((sum, p, i) => g2Add(sum, g2Mul(p, scalars[i] ?? 0n)), null),
      );
    }, 120_000);
  });
});
