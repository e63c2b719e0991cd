/**
 * End to end: proofs from `proofwatch-prover --backend cpu` must be accepted by snarkjs'
 * verifier for every fixture circuit, with snarkjs' public signals, deterministic under
 * `--seed` and randomised without it.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBinFile, readU32, section, ZKEY_SECTION } from "../helpers/binfile.js";
import { g1OnCurve, g2InSubgroup, parseGroth16Proof } from "../helpers/bn254.js";
import { Rng } from "../helpers/random.js";
import { circuitNames, runProver, snarkjs, snarkjsVerifyDetailed } from "./fixtures.js";
import { describeWithProver, expectProverOk, ProofBench, readJson } from "./prover-run.js";

const bench = new ProofBench("prove");
const rng = Rng.fromEnv("prover-prove");

describeWithProver("proofwatch-prover end to end", () => {
  beforeAll(() => bench.setUp(), 600_000);
  afterAll(() => bench.tearDown());

  describe.each(circuitNames)("%s, --backend cpu", (name) => {
    it("writes a proof snarkjs accepts and snarkjs' public signals", async () => {
      const f = bench.fixture(name);

      const { proof, pub } = await bench.prove(f, "cpu", ["--backend", "cpu"]);

      expect(await readJson(pub)).toEqual(f.publicSignals);
      expect(await snarkjsVerifyDetailed(f.vkey, pub, proof)).toEqual({
        valid: true,
        message: "OK!",
      });
    });

    it("writes proof points on the curve and in the subgroup", async () => {
      const f = bench.fixture(name);

      const { proof } = await bench.prove(f, "points", ["--backend", "cpu"]);
      const parsed = parseGroth16Proof(await readJson(proof));

      expect(g1OnCurve(parsed.a)).toBe(true);
      expect(g2InSubgroup(parsed.b)).toBe(true);
      expect(g1OnCurve(parsed.c)).toBe(true);
    });
  });

  describe("randomness", () => {
    it("gives byte-identical proofs for the same --seed", async () => {
      const f = bench.fixture("multi_io");

      const first = await bench.prove(f, "seed7a", ["--backend", "cpu", "--seed", "7"]);
      const second = await bench.prove(f, "seed7b", ["--backend", "cpu", "--seed", "7"]);

      expect(await readFile(second.proof, "utf8")).toBe(await readFile(first.proof, "utf8"));
    });

    it.each(circuitNames)(
      "%s: gives the same bytes on the portable field backend (PROOFWATCH_FIELD_BACKEND=portable)",
      async (name) => {
        const f = bench.fixture(name);
        const portable = { ...process.env, PROOFWATCH_FIELD_BACKEND: "portable" };

        const chosen = await bench.prove(f, "backend-chosen", ["--backend", "cpu", "--seed", "9"]);
        const forced = await bench.prove(
          f,
          "backend-portable",
          ["--backend", "cpu", "--seed", "9"],
          portable,
        );

        expect(await readFile(forced.proof, "utf8")).toBe(await readFile(chosen.proof, "utf8"));
        expect(await readFile(forced.pub, "utf8")).toBe(await readFile(chosen.pub, "utf8"));
      },
    );

    it("gives different valid proofs for different seeds", async () => {
      const f = bench.fixture("multi_io");

      const seven = await bench.prove(f, "seed7", ["--backend", "cpu", "--seed", "7"]);
      const eight = await bench.prove(f, "seed8", ["--backend", "cpu", "--seed", "8"]);
      const a = parseGroth16Proof(await readJson(seven.proof));
      const b = parseGroth16Proof(await readJson(eight.proof));

      expect(a.a).not.toEqual(b.a);
      expect(a.b).not.toEqual(b.b);
      expect(a.c).not.toEqual(b.c);
      expect(await snarkjsVerifyDetailed(f.vkey, eight.pub, eight.proof)).toMatchObject({
        valid: true,
      });
    });

    it("randomises proofs without --seed (zero knowledge needs fresh r and s)", async () => {
      const f = bench.fixture("multiplier");

      const first = await bench.prove(f, "noseed-a", ["--backend", "cpu"]);
      const second = await bench.prove(f, "noseed-b", ["--backend", "cpu"]);

      expect(await readFile(second.proof, "utf8")).not.toBe(await readFile(first.proof, "utf8"));
    });

    it("does not depend on the thread count", { timeout: 120_000 }, async () => {
      const f = bench.fixture("mimc_4k");

      const one = await bench.prove(f, "t1", ["--backend", "cpu", "--seed", "3", "--threads", "1"]);
      const two = await bench.prove(f, "t2", ["--backend", "cpu", "--seed", "3", "--threads", "2"]);
      const many = await bench.prove(f, "t7", [
        "--backend",
        "cpu",
        "--seed",
        "3",
        "--threads",
        "7",
      ]);

      const expected = await readFile(one.proof, "utf8");
      expect(await readFile(two.proof, "utf8")).toBe(expected);
      expect(await readFile(many.proof, "utf8")).toBe(expected);
    });
  });

  describe("zkey coefficient order", () => {
    it("proves the same from a zkey whose coefficients are shuffled out of constraint order", async () => {
      const f = bench.fixture("mimc_4k");
      const bytes = new Uint8Array(await readFile(f.zkey));
      const coeffs = section(parseBinFile(bytes), ZKEY_SECTION.coeffs);
      // u32 count, then 44-byte records: matrix, constraint, signal (u32 each), value.
      const count = readU32(bytes, coeffs.offset);
      const first = coeffs.offset + 4;
      const records = Array.from({ length: count }, (_, i) =>
        bytes.slice(first + i * 44, first + i * 44 + 44),
      );
      for (let i = records.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const [a, b] = [records[i], records[j]];
        if (a && b) [records[i], records[j]] = [b, a];
      }
      records.forEach((r, i) => {
        bytes.set(r, first + i * 44);
      });
      const shuffled = { ...f, zkey: join(bench.dir, "shuffled.zkey") };
      await writeFile(shuffled.zkey, bytes);

      const want = await bench.prove(f, "in-order", ["--backend", "cpu", "--seed", "5"]);
      const got = await bench.prove(shuffled, "shuffled", ["--backend", "cpu", "--seed", "5"]);

      const constraint = (r: Uint8Array) => readU32(r, 4);
      const outOfOrder = records.filter(
        (r, i) => i > 0 && constraint(r) < constraint(records[i - 1] ?? r),
      );
      expect(outOfOrder.length).toBeGreaterThan(count / 4);
      expect(await readFile(got.proof, "utf8")).toBe(await readFile(want.proof, "utf8"));
    });
  });

  describe("--timings", () => {
    it("writes each phase and the total as non-negative seconds", async () => {
      const f = bench.fixture("mimc_4k");
      const timings = join(bench.dir, "timings.json");

      await bench.prove(f, "timings", ["--backend", "cpu", "--timings", timings]);
      const parsed = await readJson(timings);

      expect(parsed).toBeTypeOf("object");
      const phases = Object.entries(parsed as Record<string, unknown>);
      expect(phases.length).toBeGreaterThanOrEqual(3);
      for (const [phase, value] of phases) {
        expect(value, phase).toBeTypeOf("number");
        expect(Number.isFinite(value) && (value as number) >= 0, phase).toBe(true);
      }
      const { total, ...rest } = parsed as Record<string, number>;
      expect(total).toBeGreaterThan(0);
      for (const [phase, value] of Object.entries(rest)) {
        expect(value, `${phase} within total`).toBeLessThanOrEqual(total ?? 0);
      }
    });
  });

  describe("--backend auto and cuda", () => {
    it("auto writes a proof snarkjs accepts, whatever backend it picks", async () => {
      const f = bench.fixture("multi_io");

      const { proof, pub } = await bench.prove(f, "auto", ["--backend", "auto"]);

      expect(await snarkjsVerifyDetailed(f.vkey, pub, proof)).toMatchObject({ valid: true });
    });

    // Where no GPU (or no CUDA build) is present, the one right answer is a clean refusal
    // with exit 8; where one is, the proof must verify like the CPU's.
    it("cuda proves correctly or refuses with 'backend not available' (exit 8)", async () => {
      const f = bench.fixture("multi_io");
      const proof = join(bench.dir, "cuda-proof.json");
      const pub = join(bench.dir, "cuda-public.json");

      const run = await runProver([f.zkey, f.wtns, proof, pub, "--backend", "cuda"]);

      if (run.code === 0) {
        expect(await snarkjsVerifyDetailed(f.vkey, pub, proof)).toMatchObject({ valid: true });
      } else {
        expect(run.code, run.stderr).toBe(8);
        expect(run.stderr).toMatch(/^proofwatch-prover: .*(cuda|gpu|backend)/im);
      }
    });
  });

  describe.each(["multi_io", "mimc_4k"] as const)("dev-setup zkey for %s", (name) => {
    it("proves with our prover and with snarkjs, both accepted with its vkey", async () => {
      const f = bench.fixture(name);
      const zkey = join(bench.dir, `${name}-dev.zkey`);
      const vkey = join(bench.dir, `${name}-dev-vkey.json`);
      const ours = {
        proof: join(bench.dir, `${name}-dev-proof.json`),
        pub: join(bench.dir, `${name}-dev-public.json`),
      };
      const theirs = {
        proof: join(bench.dir, `${name}-dev-snarkjs-proof.json`),
        pub: join(bench.dir, `${name}-dev-snarkjs-public.json`),
      };

      expectProverOk(await runProver(["dev-setup", f.r1cs, zkey]));
      await snarkjs(["zkey", "export", "verificationkey", zkey, vkey]);
      expectProverOk(await runProver([zkey, f.wtns, ours.proof, ours.pub, "--backend", "cpu"]));
      await snarkjs(["groth16", "prove", zkey, f.wtns, theirs.proof, theirs.pub]);

      expect(await readJson(ours.pub)).toEqual(f.publicSignals);
      expect(await snarkjsVerifyDetailed(vkey, ours.pub, ours.proof)).toMatchObject({
        valid: true,
      });
      expect(await snarkjsVerifyDetailed(vkey, theirs.pub, theirs.proof)).toMatchObject({
        valid: true,
      });
      // A proof made with the dev key must not pass under the real key, or the two
      // set-ups would share their toxic waste.
      expect(await snarkjsVerifyDetailed(f.vkey, ours.pub, ours.proof)).toMatchObject({
        valid: false,
      });
    }, 180_000);
  });
});
