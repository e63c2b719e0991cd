/**
 * The prover tests judge the prover with test/helpers/bn254.ts and binfile.ts, so those
 * are checked here against what snarkjs wrote: if the reference is wrong, every verdict
 * built on it is too. Needs no prover binary.
 */
import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import {
  parseBinFile,
  readLE,
  readWtnsHeader,
  readZkeyHeader,
  withoutSection,
  ZKEY_SECTION,
} from "../helpers/binfile.js";
import {
  Fr,
  G1_GENERATOR,
  G2_GENERATOR,
  g1Add,
  g1Mul,
  g1OnCurve,
  g2InSubgroup,
  g2OnCurve,
  mod,
  modInv,
  modPow,
  parseG1Json,
  parseG2Json,
  parseGroth16Proof,
  Q,
  R,
  rootOfUnity,
} from "../helpers/bn254.js";
import { type CircuitFixture, ensureCircuit } from "./fixtures.js";
import { readJson } from "./prover-run.js";

let f: CircuitFixture;

beforeAll(async () => {
  f = await ensureCircuit("multi_io");
}, 600_000);

describe("BN254 BigInt reference", () => {
  it("inverts like Fermat's little theorem", () => {
    for (const a of [1n, 2n, Q - 1n, 0xdead_beef_cafe_f00dn, Q / 3n]) {
      expect(modInv(a, Q)).toBe(modPow(a, Q - 2n, Q));
    }
    expect(() => modInv(0n, Q)).toThrow(RangeError);
  });

  it("has generators of order r", () => {
    expect(g1OnCurve(G1_GENERATOR)).toBe(true);
    expect(g1Mul(G1_GENERATOR, R)).toBeNull();
    expect(g1Mul(G1_GENERATOR, R - 1n)).toEqual({ x: 1n, y: Q - 2n });
    expect(g2InSubgroup(G2_GENERATOR)).toBe(true);
  });

  it("adds scalars when it adds multiples", () => {
    const a = 0x1234_5678_9abc_def0_1234n;
    const b = R - 17n;

    const sum = g1Add(g1Mul(G1_GENERATOR, a), g1Mul(G1_GENERATOR, b));

    expect(sum).toEqual(g1Mul(G1_GENERATOR, mod(a + b, R)));
  });

  it("has roots of unity of exactly the order asked for", () => {
    for (const k of [1, 2, 5, 28]) {
      const w = rootOfUnity(k);
      expect(Fr.pow(w, 2n ** BigInt(k))).toBe(1n);
      expect(Fr.pow(w, 2n ** BigInt(k - 1))).toBe(R - 1n);
    }
  });

  it("parses snarkjs' proof into points on the curve and in the subgroup", async () => {
    const proof = parseGroth16Proof(await readJson(f.snarkjsProof));

    expect(g1OnCurve(proof.a)).toBe(true);
    expect(g2InSubgroup(proof.b)).toBe(true);
    expect(g1OnCurve(proof.c)).toBe(true);
  });
});

describe("binary file readers against snarkjs' own files", () => {
  it("decodes the zkey's Montgomery alpha1 to the vkey's vk_alpha_1", async () => {
    const bytes = new Uint8Array(await readFile(f.zkey));
    const vkey = (await readJson(f.vkey)) as Record<string, unknown>;

    const h = readZkeyHeader(bytes);
    const montInv = modInv(2n ** 256n, Q);
    const x = mod(readLE(bytes, h.alpha1Offset, 32) * montInv, Q);
    const y = mod(readLE(bytes, h.alpha1Offset + 32, 32) * montInv, Q);

    expect({ x, y }).toEqual(parseG1Json(vkey.vk_alpha_1));
    expect(h.q).toBe(Q);
    expect(g2OnCurve(parseG2Json(vkey.vk_delta_2))).toBe(true);
  });

  it("finds the public signals at witness positions 1..nPublic", async () => {
    const bytes = new Uint8Array(await readFile(f.wtns));

    const h = readWtnsHeader(bytes);
    const values = Array.from({ length: f.nPublic }, (_, i) =>
      readLE(bytes, h.valuesOffset + (i + 1) * h.n8, h.n8).toString(),
    );

    expect(readLE(bytes, h.valuesOffset, h.n8)).toBe(1n);
    expect(values).toEqual(f.publicSignals);
  });

  it("drops exactly one section and keeps the rest readable", async () => {
    const bytes = new Uint8Array(await readFile(f.zkey));

    const before = parseBinFile(bytes);
    const after = parseBinFile(withoutSection(bytes, ZKEY_SECTION.pointsH));

    expect(after.sections.map((s) => s.type)).toEqual(
      before.sections.map((s) => s.type).filter((t) => t !== ZKEY_SECTION.pointsH),
    );
    expect(readZkeyHeader(withoutSection(bytes, ZKEY_SECTION.pointsH))).toEqual(
      readZkeyHeader(bytes),
    );
  });
});
