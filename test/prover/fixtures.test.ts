/**
 * Builds every circuit fixture and checks snarkjs accepts its own proof for each. Besides
 * guarding the fixtures the other prover tests stand on, running this file is how to make
 * them by hand: `npx vitest run test/prover/fixtures.test.ts` leaves them in
 * `.cache/circuits/<name>/`.
 */
import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { readR1csHeader, readWtnsHeader, readZkeyHeader } from "../helpers/binfile.js";
import { R } from "../helpers/bn254.js";
import {
  type CircuitFixture,
  circuitNames,
  ensureCircuit,
  snarkjsVerifyDetailed,
} from "./fixtures.js";

const fixtures = new Map<string, CircuitFixture>();

beforeAll(async () => {
  // One after another: on two cores, parallel snarkjs set-ups only fight for the CPU.
  for (const name of circuitNames) fixtures.set(name, await ensureCircuit(name));
}, 600_000);

function fixture(name: string): CircuitFixture {
  const found = fixtures.get(name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}

describe.each(circuitNames)("fixture %s", (name) => {
  it("has a snarkjs proof that snarkjs accepts", async () => {
    const f = fixture(name);

    const verdict = await snarkjsVerifyDetailed(f.vkey, f.snarkjsPublic, f.snarkjsProof);

    expect(verdict).toEqual({ valid: true, message: "OK!" });
  });

  it("has a zkey, witness and r1cs that agree on sizes and fields", async () => {
    const f = fixture(name);

    const r1cs = readR1csHeader(await readFile(f.r1cs));
    const zkey = readZkeyHeader(await readFile(f.zkey));
    const wtns = readWtnsHeader(await readFile(f.wtns));

    expect(zkey.r).toBe(R);
    expect(wtns.q).toBe(R);
    expect(r1cs.prime).toBe(R);
    expect(zkey.nVars).toBe(r1cs.nWires);
    expect(wtns.nWitness).toBe(r1cs.nWires);
    expect(zkey.nPublic).toBe(f.nPublic);
    expect(f.publicSignals).toHaveLength(f.nPublic);
    expect(zkey.domainSize).toBeGreaterThanOrEqual(r1cs.nConstraints + f.nPublic + 1);
  });
});

describe("fixture sizes the prover tests rely on", () => {
  it("multi_io has several public inputs and outputs", () => {
    const f = fixture("multi_io");

    expect(f.nPublic).toBeGreaterThanOrEqual(5);
  });

  it("mimc_4k fills a 2^12 domain", async () => {
    const f = fixture("mimc_4k");

    const zkey = readZkeyHeader(await readFile(f.zkey));

    expect(zkey.domainSize).toBe(4096);
    expect(f.nConstraints).toBeGreaterThan(2048 + 1024);
  });
});
