/**
 * The CUDA backend without a GPU: every kernel body of prover/src/cuda/kernels.h run by
 * the grid emulator over the same grid the CUDA launcher uses (prover-cuda-emu), and
 * checked stage by stage against the CPU backend, end to end against BigInt, and as a
 * whole prover (`--backend cuda-emu`) against snarkjs' verifier and the CPU's proofs.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fr, G1_GENERATOR, type G1Point, g1Mul, R, rootOfUnity } from "../helpers/bn254.js";
import { Rng } from "../helpers/random.js";
import { circuitNames, snarkjsVerifyDetailed } from "../prover/fixtures.js";
import { describeWithProver, ProofBench, readJson } from "../prover/prover-run.js";
import { decode, encode } from "../prover/testkit.js";
import { CudaEmu, emuMissingReason, emuPresent } from "./emu.js";

const rng = Rng.fromEnv("prover-cuda-emulated");
const SHAPES = ["mixed", "bits", "zero", "one", "repeated", "full", "infinity"] as const;

function describeWithEmu(title: string, body: () => void): void {
  if (!emuPresent) console.warn(`SKIPPED ${title}: ${emuMissingReason}`);
  describe.skipIf(!emuPresent)(
    emuPresent ? title : `${title} (skipped: ${emuMissingReason})`,
    body,
  );
}

let emu: CudaEmu;

describeWithEmu("CUDA kernel bodies on the grid emulator", () => {
  beforeAll(() => {
    emu = new CudaEmu();
  });
  afterAll(async () => emu?.close());

  describe("radix sort stand-in", () => {
    it.each([
      [1000, 4],
      [100_000, 13],
      [70_000, 20],
      [5000, 32],
    ])("sorts %i pairs on %i key bits like a stable sort", async (n, bits) => {
      expect(await emu.request("sort_random", n, bits, rng.int(1 << 30))).toEqual({ equal: true });
    });
  });

  describe("MSM stages against the CPU backend's Pippenger pieces", () => {
    // log_n 6..13 covers window sizes 4..10 and 1 to 8 reduction segments per window.
    it.each(SHAPES.flatMap((shape) => [6, 9, 12].map((logN) => [shape, logN] as const)))(
      "%s scalars, 2^%i points: assignment, sort, bounds, buckets, windows, result",
      async (shape, logN) => {
        const got = await emu.request("msm_stages", logN, rng.int(1 << 30), shape);

        expect(got).toMatchObject({
          assign: true,
          sort: true,
          bounds: true,
          buckets: true,
          windows: true,
          result: true,
        });
      },
    );

    // Tiny chunks cut buckets across many accumulation threads: every way a run can meet
    // a chunk edge (starts, ends, spans it, fills several chunks) is taken.
    it.each([
      ["mixed", 1],
      ["repeated", 7],
      ["full", 2],
      ["infinity", 5],
      ["mixed", 64],
    ] as const)(
      "%s scalars, 2^10 points, %i pairs a chunk: buckets cut across chunks",
      async (shape, chunk) => {
        const got = await emu.request("msm_stages", 10, rng.int(1 << 30), shape, chunk);

        expect(got).toMatchObject({ buckets: true, windows: true, result: true, chunk });
      },
    );

    // Small segments and groups give many of both at sizes the emulator runs quickly.
    it.each([
      [13, "full", 8, 2],
      [12, "mixed", 4, 4],
      [11, "repeated", 2, 2],
      [8, "infinity", 1, 8],
      [6, "mixed", 1, 1],
    ] as const)(
      "2^%i points, %s scalars, %i buckets a segment, %i segments a group: windows",
      async (logN, shape, segLen, group) => {
        const got = await emu.request(
          "msm_stages",
          logN,
          rng.int(1 << 30),
          shape,
          0,
          segLen,
          group,
        );

        expect(got).toMatchObject({ buckets: true, windows: true, result: true });
      },
    );

    // The layout's own choice at a size where it shrinks segments to fill a GPU: 10-bit
    // windows (512 buckets), 16 buckets a segment.
    it("reduces 32 segments a window at 2^13 random full-size scalars", async () => {
      const got = await emu.request("msm_stages", 13, rng.int(1 << 30), "full");

      expect(got).toMatchObject({ windows: true, result: true, segments: 32, window_bits: 10 });
    });
  });

  describe("MSM results", () => {
    // G2 (Fq2 coordinates) runs the same pipeline: the Groth16 B2 MSM is on the device too.
    it.each([
      ["g1", 14, "mixed"],
      ["g1", 14, "bits"],
      ["g1", 15, "full"],
      ["g2", 10, "mixed"],
      ["g2", 10, "bits"],
      ["g2", 11, "full"],
      ["g2", 8, "infinity"],
      ["g2", 8, "one"],
      ["g2", 8, "repeated"],
    ] as const)("%s, 2^%i points, %s scalars: emulated equals CPU", async (curve, logN, shape) => {
      const got = await emu.request(`${curve}_msm_random`, logN, rng.int(1 << 30), shape);

      expect(got.equal, JSON.stringify(got)).toBe(true);
    });

    it("equals the BigInt sum on multiples of G with 0, 1, r-1, small and random scalars", async () => {
      const n = 48;
      const ks = Array.from({ length: n }, () => rng.below(R - 1n) + 1n);
      const points = ks.map((k) => g1Mul(G1_GENERATOR, k));
      const scalars = Array.from(
        { length: n },
        (_, i) => [0n, 1n, R - 1n, BigInt(rng.int(1 << 16))][i % 6] ?? rng.below(R),
      );
      // sum s_i (k_i G) = (sum s_i k_i) G: one scalar multiplication instead of n.
      const want: G1Point = g1Mul(
        G1_GENERATOR,
        ks.reduce((acc, k, i) => Fr.add(acc, Fr.mul(k, scalars[i] ?? 0n)), 0n),
      );
      const words = points.flatMap((p, i) => [...encode.g1(p), (scalars[i] ?? 0n).toString()]);

      const got = await emu.request("g1_msm", n, ...words);

      expect(decode.g1(got.emulated)).toEqual(want);
      expect(decode.g1(got.cpu)).toEqual(want);
    });
  });

  describe("NTT stages", () => {
    it.each([10, 13, 16])(
      "2^%i: every butterfly stage, forward and inverse equal the CPU",
      async (logN) => {
        expect(await emu.request("ntt_random", logN, rng.int(1 << 30))).toMatchObject({
          forward: true,
          inverse: true,
          stages: true,
        });
      },
    );

    it.each([1, 3, 5])("2^%i: forward and inverse equal a naive BigInt DFT", async (logN) => {
      const n = 1 << logN;
      const values = Array.from({ length: n }, () => rng.below(R));
      const dft = (inverse: boolean): bigint[] => {
        const w = inverse ? Fr.inv(rootOfUnity(logN)) : rootOfUnity(logN);
        const scale = inverse ? Fr.inv(BigInt(n)) : 1n;
        return values.map((_, k) =>
          Fr.mul(
            values.reduce((sum, x, j) => Fr.add(sum, Fr.mul(x, Fr.pow(w, BigInt(j * k)))), 0n),
            scale,
          ),
        );
      };

      for (const inverse of [false, true]) {
        const got = await emu.request("ntt", inverse ? 1 : 0, n, ...values);
        expect(decode.fields(got.emulated), `inverse=${inverse}`).toEqual(dft(inverse));
        expect(decode.fields(got.cpu), `inverse=${inverse}`).toEqual(dft(inverse));
      }
    });
  });
});

describeWithProver("--backend cuda-emu: the GPU pipeline as a prover, on the emulator", () => {
  const bench = new ProofBench("prover-cuda-emu");
  beforeAll(() => bench.setUp(), 600_000);
  afterAll(() => bench.tearDown());

  it.each(circuitNames)(
    "%s: snarkjs accepts it, and it equals the CPU proof under one seed",
    async (name) => {
      const f = bench.fixture(name);

      const emulated = await bench.prove(f, "emu", ["--backend", "cuda-emu", "--seed", "21"]);
      const cpu = await bench.prove(f, "cpu", ["--backend", "cpu", "--seed", "21"]);

      expect(await snarkjsVerifyDetailed(f.vkey, emulated.pub, emulated.proof)).toEqual({
        valid: true,
        message: "OK!",
      });
      expect(await readJson(emulated.pub)).toEqual(f.publicSignals);
      expect(await readFile(emulated.proof, "utf8")).toBe(await readFile(cpu.proof, "utf8"));
    },
  );

  it("an h bit flipped on the device gives a proof snarkjs rejects", async () => {
    const f = bench.fixture("mimc_4k");

    const { proof, pub } = await bench.prove(f, "emu-fault", [
      "--backend",
      "cuda-emu",
      "--inject-fault",
      "h-bitflip",
    ]);

    expect(await snarkjsVerifyDetailed(f.vkey, pub, proof)).toMatchObject({ valid: false });
  });

  it("reports per-phase seconds and bytes and seconds for every transfer", async () => {
    const f = bench.fixture("mimc_4k");
    const timingsPath = join(bench.dir, "emu-timings.json");

    await bench.prove(f, "emu-timings", ["--backend", "cuda-emu", "--timings", timingsPath]);
    const timings = (await readJson(timingsPath)) as Record<string, number>;

    for (const phase of [
      "load",
      "build_abc",
      "ntt",
      "msm_a",
      "msm_b1",
      "msm_b2",
      "msm_c",
      "msm_h",
    ]) {
      expect(timings[phase], phase).toBeGreaterThanOrEqual(0);
    }
    // The G2 points of B live on the device: nVars of them, 128 bytes each against B1's 64.
    expect(timings.h2d_zkey_b2_bytes).toBe(2 * (timings.h2d_zkey_b1_bytes ?? 0));
    expect(timings.h2d_zkey_b2_bytes).toBeGreaterThan(0);
    // 2^12 domain: a, b, c uploaded as 32-byte Fr each; the H points as 64-byte affine.
    expect(timings.h2d_a_bytes).toBe(4096 * 32);
    expect(timings.h2d_zkey_h_bytes).toBe(4096 * 64);
    for (const key of Object.keys(timings).filter((k) => k.endsWith("_bytes"))) {
      expect(timings[key.replace(/_bytes$/, "_seconds")], key).toBeGreaterThanOrEqual(0);
    }
  });
});
