/**
 * `prover-bench-circuit` writes the GPU benchmark's squaring-chain circuit (.r1cs) and its
 * witness (.wtns) without circom or Node. Judged by snarkjs: it must call the witness
 * correct for the r1cs, and `proofwatch-prover dev-setup` on the r1cs must give a key of
 * exactly the asked-for domain under which our proof verifies, and a tampered one does not.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  readLE,
  readR1csHeader,
  readWtnsHeader,
  readZkeyHeader,
  writeLE,
} from "../helpers/binfile.js";
import { R as BN254_R } from "../helpers/bn254.js";
import { exec } from "../helpers/exec.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { benchCircuitPath, runProver, snarkjs, snarkjsVerifyDetailed } from "./fixtures.js";
import { describeWithBenchCircuit, expectProverOk, readJson } from "./prover-run.js";

const FIELD_BYTES = 32;

function generate(args: readonly string[]) {
  return exec(benchCircuitPath, args, { timeoutMs: 60_000 });
}

describeWithBenchCircuit("prover-bench-circuit", () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    tmp = await makeTempDir("bench-circuit");
  });
  afterAll(() => tmp?.cleanup());

  describe.each([8, 10])("2^%i domain", (log) => {
    const files = () => {
      const at = (name: string) => join(tmp.dir, `${log}-${name}`);
      return {
        r1cs: at("circuit.r1cs"),
        wtns: at("witness.wtns"),
        zkey: at("dev.zkey"),
        vkey: at("vkey.json"),
      };
    };

    beforeAll(async () => {
      const f = files();
      const gen = await generate([String(log), f.r1cs, f.wtns, "7"]);
      expect(gen, gen.stderr).toMatchObject({ code: 0 });
      expect(gen.stderr).toMatch(/^prover-bench-circuit: .*constraints/);
      expectProverOk(await runProver(["dev-setup", f.r1cs, f.zkey]));
      await snarkjs(["zkey", "export", "verificationkey", f.zkey, f.vkey]);
    }, 120_000);

    it("writes an r1cs that dev-setup turns into a key of exactly that domain", async () => {
      const f = files();

      const r1cs = readR1csHeader(await readFile(f.r1cs));
      const wtns = readWtnsHeader(await readFile(f.wtns));
      const zkey = readZkeyHeader(await readFile(f.zkey));

      expect(r1cs).toMatchObject({ n8: FIELD_BYTES, prime: BN254_R, nPubOut: 1, nPubIn: 0 });
      expect(wtns).toMatchObject({ n8: FIELD_BYTES, q: BN254_R, nWitness: r1cs.nWires });
      // The domain is 2^(floor(log2(constraints + public)) + 1): the circuit is as large as
      // that rule allows for 2^log.
      expect(r1cs.nConstraints + r1cs.nPubOut).toBe(2 ** log - 1);
      expect(zkey).toMatchObject({ domainSize: 2 ** log, nVars: r1cs.nWires, nPublic: 1 });
    });

    it("writes a witness snarkjs finds correct for the r1cs", async () => {
      const f = files();

      const check = await snarkjs(["wtns", "check", f.r1cs, f.wtns]);

      expect(check.stdout + check.stderr).toContain("WITNESS IS CORRECT");
    });

    it("proves with --backend cpu into a proof snarkjs accepts, w[1] public", async () => {
      const f = files();
      const proof = join(tmp.dir, `${log}-proof.json`);
      const pub = join(tmp.dir, `${log}-public.json`);
      const bytes = await readFile(f.wtns);
      const out = readLE(bytes, readWtnsHeader(bytes).valuesOffset + FIELD_BYTES, FIELD_BYTES);

      expectProverOk(await runProver([f.zkey, f.wtns, proof, pub, "--backend", "cpu"]));

      expect(await readJson(pub)).toEqual([out.toString()]);
      expect(await snarkjsVerifyDetailed(f.vkey, pub, proof)).toEqual({
        valid: true,
        message: "OK!",
      });
    });

    it("proves a witness with one chain value changed into a proof snarkjs rejects", async () => {
      const f = files();
      const bad = join(tmp.dir, `${log}-bad.wtns`);
      const proof = join(tmp.dir, `${log}-bad-proof.json`);
      const pub = join(tmp.dir, `${log}-bad-public.json`);
      const bytes = new Uint8Array(await readFile(f.wtns));
      // x_1 (wire 3), private: the public output stays as it was, so only the proof can fail.
      const at = readWtnsHeader(bytes).valuesOffset + 3 * FIELD_BYTES;
      writeLE(bytes, at, FIELD_BYTES, (readLE(bytes, at, FIELD_BYTES) + 1n) % BN254_R);
      await writeFile(bad, bytes);

      // The prover does not check that the witness satisfies the circuit (neither does
      // snarkjs groth16 prove): it writes a well-formed proof that cannot verify.
      expectProverOk(await runProver([f.zkey, bad, proof, pub, "--backend", "cpu"]));

      expect(await snarkjsVerifyDetailed(f.vkey, pub, proof)).toEqual({
        valid: false,
        message: "Invalid proof",
      });
    });
  });

  it("writes the same files for the same seed and another witness for another", async () => {
    const at = (name: string) => join(tmp.dir, `seed-${name}`);
    for (const [tag, seed] of [
      ["a", "7"],
      ["b", "7"],
      ["c", "8"],
    ]) {
      const run = await generate(["6", at(`${tag}.r1cs`), at(`${tag}.wtns`), String(seed)]);
      expect(run, run.stderr).toMatchObject({ code: 0 });
    }

    const read = (name: string) => readFile(at(name));

    expect(await read("b.r1cs")).toEqual(await read("a.r1cs"));
    expect(await read("b.wtns")).toEqual(await read("a.wtns"));
    expect(await read("c.wtns")).not.toEqual(await read("a.wtns"));
  });

  it.each([
    ["1", "a domain below 2^2"],
    ["28", "a domain above 2^27"],
    ["x", "a LOG_DOMAIN that is not a number"],
  ])("refuses LOG_DOMAIN %s (%s) with exit 2", async (log) => {
    const run = await generate([log, join(tmp.dir, "no.r1cs"), join(tmp.dir, "no.wtns")]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^prover-bench-circuit: LOG_DOMAIN must be in 2\.\.27/);
  });
});
