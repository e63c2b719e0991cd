/**
 * The CUDA backend on a real GPU: MSM and NTT against the CPU backend on random inputs,
 * full proofs from `--backend cuda` through snarkjs' verifier, and the CUDA error path.
 * Without a device (or without a CUDA build) every test here is skipped with a visible
 * line saying why; the checks still owed are listed in prover/GPU.md.
 * PROOFWATCH_CUDA_DEVICE picks the device (default 0).
 */

import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  circuitNames,
  proverPresent,
  runProver,
  snarkjsVerifyDetailed,
} from "../prover/fixtures.js";
import { ProofBench, readJson } from "../prover/prover-run.js";
import { CudaEmu, emuMissingReason, emuPath, emuPresent } from "./emu.js";

const device = Number(process.env.PROOFWATCH_CUDA_DEVICE ?? "0");

/** Asks the prover's own CUDA backend (cudaGetDeviceCount) whether a device is usable. */
function probe(): { ok: boolean; why: string } {
  if (!emuPresent) return { ok: false, why: emuMissingReason };
  if (!proverPresent) return { ok: false, why: "proofwatch-prover not built" };
  const answer = execFileSync(emuPath, [], { input: "devices\n", encoding: "utf8" });
  const { count, why } = JSON.parse(answer) as { count: number; why: string };
  if (count <= device)
    return { ok: false, why: `no CUDA device ${device} (${why || `${count} present`})` };
  return { ok: true, why: "" };
}

const gpu = probe();
if (!gpu.ok) console.warn(`SKIPPED CUDA backend on a GPU: ${gpu.why} (owed checks: prover/GPU.md)`);

describe.skipIf(!gpu.ok)(
  gpu.ok ? "CUDA backend on a GPU" : `CUDA backend on a GPU (skipped: ${gpu.why})`,
  () => {
    let emu: CudaEmu;

    const bench = new ProofBench("prover-cuda-gpu");
    beforeAll(async () => {
      emu = new CudaEmu();
      await bench.setUp();
    }, 600_000);
    afterAll(async () => {
      await emu?.close();
      await bench.tearDown();
    });

    // G2 runs the same pipeline over Fq2 (the Groth16 B2 MSM), at sizes its heavier
    // points allow the CPU reference in time.
    describe.each([
      {
        curve: "G1",
        op: "gpu_msm_random",
        seed: 1000,
        sizes: [10, 12, 14, 16, 18, 20, 22],
        shapesAt: 16,
        shapesSeed: 77,
        shapes: ["bits", "zero", "one", "repeated", "full", "infinity"],
      },
      {
        curve: "G2",
        op: "gpu_g2_msm_random",
        seed: 2000,
        sizes: [10, 14, 18, 20],
        shapesAt: 14,
        shapesSeed: 78,
        shapes: ["bits", "one", "repeated", "full", "infinity"],
      },
    ])(
      "$curve MSM, GPU against CPU",
      ({ curve, op, seed, sizes, shapesAt, shapesSeed, shapes }) => {
        it.each(sizes)(
          "2^%i random points, mixed scalars",
          async (logN) => {
            const got = await emu.request(op, logN, seed + logN, "mixed", device);
            console.log(`gpu ${curve} msm 2^${logN}: ${JSON.stringify(got)}`);

            expect(got.equal, JSON.stringify(got)).toBe(true);
          },
          300_000,
        );

        it.each(shapes)(
          `2^${shapesAt} points, %s scalars`,
          async (shape) => {
            const got = await emu.request(op, shapesAt, shapesSeed, shape, device);

            expect(got.equal, JSON.stringify(got)).toBe(true);
          },
          120_000,
        );
      },
    );

    describe("NTT, GPU against CPU", () => {
      it.each([1, 10, 16, 20, 22])(
        "2^%i forward, and inverse back to the input",
        async (logN) => {
          const got = await emu.request("gpu_ntt_random", logN, 500 + logN, device);
          console.log(`gpu ntt 2^${logN}: ${JSON.stringify(got)}`);

          expect(got).toMatchObject({ forward: true, inverse: true });
        },
        300_000,
      );
    });

    describe("proofs from --backend cuda", () => {
      it.each(circuitNames)(
        "%s: snarkjs accepts it, and it equals the CPU proof under one seed",
        async (name) => {
          const f = bench.fixture(name);

          const cuda = await bench.prove(f, "cuda", [
            "--backend",
            "cuda",
            "--device",
            String(device),
            "--seed",
            "9",
          ]);
          const cpu = await bench.prove(f, "cpu", ["--backend", "cpu", "--seed", "9"]);

          expect(await snarkjsVerifyDetailed(f.vkey, cuda.pub, cuda.proof)).toEqual({
            valid: true,
            message: "OK!",
          });
          expect(await readFile(cuda.proof, "utf8")).toBe(await readFile(cpu.proof, "utf8"));
        },
      );

      it("auto picks the GPU: its timings carry the transfers", async () => {
        const f = bench.fixture("mimc_4k");
        const timingsPath = join(bench.dir, "auto-timings.json");

        const { proof, pub } = await bench.prove(f, "auto", [
          "--backend",
          "auto",
          "--timings",
          timingsPath,
        ]);

        expect(await snarkjsVerifyDetailed(f.vkey, pub, proof)).toMatchObject({ valid: true });
        const timings = (await readJson(timingsPath)) as Record<string, number>;
        console.log(`auto timings: ${JSON.stringify(timings)}`);
        expect(timings.h2d_witness_bytes).toBeGreaterThan(0);
        expect(timings.h2d_witness_seconds).toBeGreaterThan(0);
      });

      it("an h bit flipped on the GPU gives a proof snarkjs rejects", async () => {
        const f = bench.fixture("mimc_4k");

        const { proof, pub } = await bench.prove(f, "cuda-fault", [
          "--backend",
          "cuda",
          "--inject-fault",
          "h-bitflip",
        ]);

        expect(await snarkjsVerifyDetailed(f.vkey, pub, proof)).toMatchObject({ valid: false });
      });
    });

    describe("errors", () => {
      it("an impossible allocation is reported as out of device memory, naming the call and place", async () => {
        const got = await emu.request("gpu_error_probe", device);

        expect(got.message).toMatch(
          /^out of device memory: cudaMallocAsync\(\d+ bytes\) at .*cuda_exec\.cuh:\d+: cudaErrorMemoryAllocation/,
        );
      });

      it("--device past the last GPU exits 8 with a clear message", async () => {
        const f = bench.fixture("multiplier");

        const run = await runProver([
          f.zkey,
          f.wtns,
          join(bench.dir, "p.json"),
          join(bench.dir, "q.json"),
          "--backend",
          "cuda",
          "--device",
          "999",
        ]);
        expect(run.code, run.stderr).toBe(8);
        expect(run.stderr).toMatch(
          /^proofwatch-prover: CUDA backend: --device 999 but \d+ device\(s\) present/m,
        );
      });
    });
  },
);
