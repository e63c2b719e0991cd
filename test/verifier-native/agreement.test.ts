/**
 * The native verifier against `snarkjs groth16 verify` on real proofs: valid ones, and
 * tampered ones that stay well-formed (points still on their curves and in their groups),
 * which both must reject as invalid rather than malformed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  nativeVerifierAvailable,
  type PreparedKey,
  prepareKey,
  verifyProof,
} from "../../verifier/native.js";
import {
  G1_GENERATOR,
  G2_GENERATOR,
  g1Add,
  g1ToJson,
  g2Add,
  g2ToJson,
  parseG1Json,
  parseG2Json,
} from "../helpers/bn254.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { type Circuit, clone, loadCircuit, type ProofCase, snarkjsAccepts } from "./support.js";

const available = nativeVerifierAvailable();

type Build = (c: { multiIo: Circuit; mimc: Circuit }) => {
  circuit: Circuit;
  proof: ProofCase;
};

// Each case: which key, which (possibly altered) proof, and the verdict both must give.
const cases: [string, "valid" | "invalid", Build][] = [
  [
    "snarkjs' fixture proof",
    "valid",
    (c) => ({ circuit: c.multiIo, proof: c.multiIo.proofs[0] as ProofCase }),
  ],
  [
    "a second proof of the same witness",
    "valid",
    (c) => ({ circuit: c.multiIo, proof: c.multiIo.proofs[1] as ProofCase }),
  ],
  [
    "the 4k-constraint MiMC proof",
    "valid",
    (c) => ({ circuit: c.mimc, proof: c.mimc.proofs[0] as ProofCase }),
  ],
  [
    "pi_a from another valid proof",
    "invalid",
    (c) =>
      tamper(c.multiIo, (p, other) => {
        p.proof.pi_a = other.proof.pi_a;
      }),
  ],
  [
    "pi_b from another valid proof",
    "invalid",
    (c) =>
      tamper(c.multiIo, (p, other) => {
        p.proof.pi_b = other.proof.pi_b;
      }),
  ],
  [
    "pi_c from another valid proof",
    "invalid",
    (c) =>
      tamper(c.multiIo, (p, other) => {
        p.proof.pi_c = other.proof.pi_c;
      }),
  ],
  [
    "pi_a plus the G1 generator",
    "invalid",
    (c) =>
      tamper(c.multiIo, (p) => {
        p.proof.pi_a = g1ToJson(g1Add(parseG1Json(p.proof.pi_a), G1_GENERATOR));
      }),
  ],
  [
    "pi_b plus the G2 generator",
    "invalid",
    (c) =>
      tamper(c.multiIo, (p) => {
        p.proof.pi_b = g2ToJson(g2Add(parseG2Json(p.proof.pi_b), G2_GENERATOR));
      }),
  ],
  [
    "pi_c plus the G1 generator",
    "invalid",
    (c) =>
      tamper(c.multiIo, (p) => {
        p.proof.pi_c = g1ToJson(g1Add(parseG1Json(p.proof.pi_c), G1_GENERATOR));
      }),
  ],
  [
    "a public signal plus one",
    "invalid",
    (c) =>
      tamper(c.multiIo, (p) => {
        p.publicSignals[0] = (BigInt(p.publicSignals[0] as string) + 1n).toString();
      }),
  ],
  [
    "two public signals swapped",
    "invalid",
    (c) =>
      tamper(c.multiIo, (p) => {
        [p.publicSignals[2], p.publicSignals[4]] = [
          p.publicSignals[4] as string,
          p.publicSignals[2] as string,
        ];
      }),
  ],
  [
    "public signals reversed",
    "invalid",
    (c) =>
      tamper(c.multiIo, (p) => {
        p.publicSignals.reverse();
      }),
  ],
  [
    "a proof checked against another circuit's key",
    "invalid",
    (c) => ({
      circuit: c.mimc,
      proof: {
        proof: c.multiIo.proofs[0]?.proof as ProofCase["proof"],
        publicSignals: c.multiIo.proofs[0]?.publicSignals.slice(0, 2) as string[],
      },
    }),
  ],
];

function tamper(circuit: Circuit, edit: (p: ProofCase, other: ProofCase) => void) {
  const proof = clone(circuit.proofs[0] as ProofCase);
  edit(proof, circuit.proofs[1] as ProofCase);
  return { circuit, proof };
}

describe.skipIf(!available)("native verifier agrees with snarkjs groth16 verify", () => {
  let multiIo: Circuit;
  let mimc: Circuit;
  const keys = new Map<Circuit, PreparedKey>();
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir("verifier-agree"));
    [multiIo, mimc] = await Promise.all([
      loadCircuit("multi_io", dir, 1),
      loadCircuit("mimc_4k", dir),
    ]);
    for (const c of [multiIo, mimc]) keys.set(c, prepareKey(c.keyJson));
  });
  afterAll(() => cleanup?.());

  it("has two distinct valid proofs to swap points between", () => {
    expect(multiIo.proofs[1]?.proof.pi_a).not.toEqual(multiIo.proofs[0]?.proof.pi_a);
    expect(keys.get(multiIo)?.nPublic).toBe(6);
  });

  it.each(cases)("%s: %s", async (name, expected, build) => {
    const { circuit, proof } = build({ multiIo, mimc });

    const ours = verifyProof(
      keys.get(circuit) as PreparedKey,
      JSON.stringify(proof.proof),
      JSON.stringify(proof.publicSignals),
    );
    const theirs = await snarkjsAccepts(
      circuit.fixture.vkey,
      proof,
      dir,
      name.replaceAll(/\W/g, "_"),
    );

    expect(ours.result).toBe(expected);
    expect(theirs).toBe(expected === "valid");
    if (expected === "invalid") expect(ours.reason).toBe("pairing check failed");
  });
});
