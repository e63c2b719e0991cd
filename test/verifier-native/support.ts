/**
 * Shared pieces of the native verifier tests: circuits and proofs made by snarkjs (in
 * child processes, through the prover tests' fixture helper), snarkjs-JSON editing, and a
 * point on the G2 twist curve outside the G2 subgroup.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Fq2, type Fq2Element, G2_B, type G2Affine, modPow, Q } from "../helpers/bn254.js";
import type { Rng } from "../helpers/random.js";
import {
  type CircuitFixture,
  type CircuitName,
  ensureCircuit,
  snarkjs,
  snarkjsVerify,
} from "../prover/fixtures.js";

export interface SnarkjsProof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol?: string;
  curve?: string;
}

export interface ProofCase {
  proof: SnarkjsProof;
  publicSignals: string[];
}

export interface Circuit {
  fixture: CircuitFixture;
  keyJson: string;
  /** snarkjs' own proof from the fixture, then `extra` more from `groth16 prove`. */
  proofs: ProofCase[];
}

/** A circuit fixture with its key text and `extra` more proofs from `snarkjs groth16 prove`. */
export async function loadCircuit(name: CircuitName, dir: string, extra = 0): Promise<Circuit> {
  const fixture = await ensureCircuit(name);
  const keyJson = await readFile(fixture.vkey, "utf8");
  const proofs: ProofCase[] = [
    {
      proof: JSON.parse(await readFile(fixture.snarkjsProof, "utf8")) as SnarkjsProof,
      publicSignals: JSON.parse(await readFile(fixture.snarkjsPublic, "utf8")) as string[],
    },
  ];
  for (let i = 0; i < extra; ++i) {
    const proofPath = join(dir, `${name}-${i}-proof.json`);
    const publicPath = join(dir, `${name}-${i}-public.json`);
    await snarkjs(["groth16", "prove", fixture.zkey, fixture.wtns, proofPath, publicPath]);
    proofs.push({
      proof: JSON.parse(await readFile(proofPath, "utf8")) as SnarkjsProof,
      publicSignals: JSON.parse(await readFile(publicPath, "utf8")) as string[],
    });
  }
  return { fixture, keyJson, proofs };
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** `snarkjs groth16 verify` on a proof and public signals written to `dir`. */
export async function snarkjsAccepts(
  vkeyPath: string,
  c: ProofCase,
  dir: string,
  tag: string,
): Promise<boolean> {
  const proofPath = join(dir, `${tag}-proof.json`);
  const publicPath = join(dir, `${tag}-public.json`);
  await writeFile(proofPath, JSON.stringify(c.proof));
  await writeFile(publicPath, JSON.stringify(c.publicSignals));
  return snarkjsVerify(vkeyPath, publicPath, proofPath);
}

/** Square root in Fq2 for q = 3 mod 4 (Adj, Rodriguez-Henriquez 2012, algorithm 9). */
export function fq2Sqrt(a: Fq2Element): Fq2Element | undefined {
  const pow = (b: Fq2Element, e: bigint): Fq2Element => {
    let r: Fq2Element = Fq2.one;
    let x = b;
    for (let k = e; k > 0n; k >>= 1n) {
      if (k & 1n) r = Fq2.mul(r, x);
      x = Fq2.square(x);
    }
    return r;
  };
  const a1 = pow(a, (Q - 3n) / 4n);
  const alpha = Fq2.mul(a1, Fq2.mul(a1, a));
  const x0 = Fq2.mul(a1, a);
  const x: Fq2Element = Fq2.eq(alpha, Fq2.neg(Fq2.one))
    ? [Fq2.neg(x0)[1], x0[0]]
    : Fq2.mul(pow(Fq2.add(alpha, Fq2.one), (Q - 1n) / 2n), x0);
  return Fq2.eq(Fq2.square(x), a) ? x : undefined;
}

/**
 * A random point of E'(Fq2): y^2 = x^3 + 3/(9 + u), not multiplied by the cofactor, so
 * outside G2 except with probability about 2^-254.
 */
export function randomTwistPoint(rng: Rng): G2Affine {
  for (;;) {
    const x: Fq2Element = [rng.below(Q), rng.below(Q)];
    const y = fq2Sqrt(Fq2.add(Fq2.mul(Fq2.square(x), x), G2_B));
    if (y) return { x, y };
  }
}

/** x^((q-1)/2): a cheap sanity check that a value is a square in Fq. */
export function isFqSquare(v: bigint): boolean {
  return modPow(v, (Q - 1n) / 2n, Q) !== Q - 1n;
}
