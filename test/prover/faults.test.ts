/**
 * `--inject-fault` models a silent hardware error (one flipped bit in an h, a or c value)
 * so the integrity checks downstream can be tested: the prover must still write a
 * well-formed proof, with every point on its curve, which the verifier then rejects.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { g1OnCurve, g2InSubgroup, parseGroth16Proof } from "../helpers/bn254.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import {
  type CircuitFixture,
  ensureCircuit,
  runProver,
  snarkjsVerifyDetailed,
} from "./fixtures.js";
import { describeWithProver, expectProverOk, readJson } from "./prover-run.js";

const faults = ["h-bitflip", "a-bitflip", "c-bitflip"] as const;

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let f: CircuitFixture;
let clean: ReturnType<typeof parseGroth16Proof>;

describeWithProver("proofwatch-prover --inject-fault", () => {
  beforeAll(async () => {
    tmp = await makeTempDir("faults");
    f = await ensureCircuit("multi_io");
    const proof = join(tmp.dir, "clean-proof.json");
    const pub = join(tmp.dir, "clean-public.json");
    expectProverOk(
      await runProver([f.zkey, f.wtns, proof, pub, "--backend", "cpu", "--seed", "11"]),
    );
    // The control: the same seed without a fault verifies, so a rejection below is the
    // fault's doing.
    expect(await snarkjsVerifyDetailed(f.vkey, pub, proof)).toMatchObject({ valid: true });
    clean = parseGroth16Proof(await readJson(proof));
  }, 600_000);
  afterAll(async () => tmp?.cleanup());

  it.each(faults)("%s: well-formed proof that snarkjs rejects", async (fault) => {
    const proof = join(tmp.dir, `${fault}-proof.json`);
    const pub = join(tmp.dir, `${fault}-public.json`);

    const run = await runProver([
      f.zkey,
      f.wtns,
      proof,
      pub,
      "--backend",
      "cpu",
      "--seed",
      "11",
      "--inject-fault",
      fault,
    ]);

    expectProverOk(run);
    const parsed = parseGroth16Proof(await readJson(proof));
    expect(parsed.a).not.toBeNull();
    expect(parsed.c).not.toBeNull();
    expect(g1OnCurve(parsed.a), "pi_a on G1").toBe(true);
    expect(g2InSubgroup(parsed.b), "pi_b in G2").toBe(true);
    expect(g1OnCurve(parsed.c), "pi_c on G1").toBe(true);
    // Each fault corrupts one input of the H computation (prover/README.md), which only
    // pi_c depends on: with the same seed, pi_a and pi_b stay those of the clean proof.
    expect(parsed.a).toEqual(clean.a);
    expect(parsed.b).toEqual(clean.b);
    expect(parsed.c).not.toEqual(clean.c);
    expect(await readJson(pub)).toEqual(f.publicSignals);
    // "Invalid proof" is the pairing check failing; a malformed point would have been
    // caught earlier with "Proof commitments are not valid."
    expect(await snarkjsVerifyDetailed(f.vkey, pub, proof)).toEqual({
      valid: false,
      message: "Invalid proof",
    });
  });

  it("rejects an unknown fault kind", async () => {
    const run = await runProver([
      f.zkey,
      f.wtns,
      join(tmp.dir, "x-proof.json"),
      join(tmp.dir, "x-public.json"),
      "--inject-fault",
      "no-such-fault",
    ]);

    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^proofwatch-prover: .*fault/m);
  });
});
