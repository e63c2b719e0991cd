// The verifier's verdicts agree with `snarkjs groth16 verify` on every case: valid proofs
// from snarkjs and from the bundled prover, tampered points, altered and reordered public
// signals, another key, and the prover's own fault injections. Everything is submitted at
// once, so that batches mix good and bad proofs and the one-by-one fallback is exercised.
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  G1_GENERATOR,
  type G1Point,
  G2_GENERATOR,
  type G2Point,
  g1Add,
  g2Add,
  parseG1Json,
  parseG2Json,
} from "../helpers/bn254.js";
import { exec } from "../helpers/exec.js";
import {
  type CircuitFixture,
  ensureCircuit,
  proverMissingReason,
  proverPath,
  proverPresent,
  snarkjs,
  snarkjsVerifyDetailed,
} from "../prover/fixtures.js";
import {
  decided,
  describeWithNative,
  fixtureProof,
  installCircuit,
  type ProofPair,
  post,
  type RunningVerifier,
  rerandomized,
  start,
  submission,
  type Verdict,
  type Workspace,
  workspace,
  writeJson,
} from "./helpers.js";

interface Case {
  name: string;
  circuit: string;
  /** The key snarkjs is given: the one registered under `circuit`. */
  vkey: string;
  pair: ProofPair;
}

const g1 = (p: G1Point) => (p ? [p.x.toString(), p.y.toString(), "1"] : ["0", "1", "0"]);
const g2 = (p: G2Point) => (p ? [p.x.map(String), p.y.map(String), ["1", "0"]] : null);

function withProof(base: ProofPair, change: Record<string, unknown>): ProofPair {
  return { proof: { ...base.proof, ...change }, publicSignals: [...base.publicSignals] };
}

async function buildCases(ws: Workspace): Promise<{ cases: Case[]; skipped: string[] }> {
  const mul = await fixtureProof("multiplier");
  const multi = await fixtureProof("multi_io");
  const cases: Case[] = [];
  const skipped: string[] = [];
  const add = (name: string, circuit: string, fixture: CircuitFixture, pair: ProofPair) =>
    cases.push({ name, circuit, vkey: fixture.vkey, pair });

  add("valid (snarkjs, multiplier)", "multiplier", mul.fixture, mul);
  add("valid (snarkjs, multi_io)", "multi_io", multi.fixture, multi);

  const a = parseG1Json(multi.proof.pi_a);
  const b = parseG2Json(multi.proof.pi_b);
  const c = parseG1Json(multi.proof.pi_c);
  const piA = multi.proof.pi_a as string[];
  const piB = multi.proof.pi_b as string[][];
  add(
    "pi_a x + 1 (off the curve)",
    "multi_io",
    multi.fixture,
    withProof(multi, {
      pi_a: [(BigInt(piA[0] as string) + 1n).toString(), piA[1], piA[2]],
    }),
  );
  add(
    "pi_a + G (on the curve)",
    "multi_io",
    multi.fixture,
    withProof(multi, { pi_a: g1(g1Add(a, G1_GENERATOR)) }),
  );
  add(
    "pi_b x swapped (off the twist)",
    "multi_io",
    multi.fixture,
    withProof(multi, {
      pi_b: [[piB[0]?.[1], piB[0]?.[0]], piB[1], piB[2]],
    }),
  );
  add(
    "pi_b + G2 (in the group)",
    "multi_io",
    multi.fixture,
    withProof(multi, { pi_b: g2(g2Add(b, G2_GENERATOR)) }),
  );
  add(
    "pi_c + G (on the curve)",
    "multi_io",
    multi.fixture,
    withProof(multi, { pi_c: g1(g1Add(c, G1_GENERATOR)) }),
  );
  add(
    "pi_a and pi_c exchanged",
    "multi_io",
    multi.fixture,
    withProof(multi, { pi_a: multi.proof.pi_c, pi_c: multi.proof.pi_a }),
  );
  add("a public signal + 1", "multi_io", multi.fixture, {
    proof: multi.proof,
    publicSignals: multi.publicSignals.map((s, i) => (i === 2 ? (BigInt(s) + 1n).toString() : s)),
  });
  const swapped = [...multi.publicSignals];
  [swapped[0], swapped[1]] = [swapped[1] as string, swapped[0] as string];
  expect(swapped).not.toEqual(multi.publicSignals);
  add("public signals reordered", "multi_io", multi.fixture, {
    proof: multi.proof,
    publicSignals: swapped,
  });

  // Another key for the same circuit: one more phase-2 contribution changes delta.
  const otherZkey = join(ws.dir, "other.zkey");
  const otherVkey = join(ws.dir, "other_vkey.json");
  await snarkjs(["zkey", "contribute", mul.fixture.zkey, otherZkey, "--name=other", "-e=other"]);
  await snarkjs(["zkey", "export", "verificationkey", otherZkey, otherVkey]);
  cases.push({
    name: "the wrong key (same circuit, other setup)",
    circuit: "multiplier-other",
    vkey: otherVkey,
    pair: mul,
  });

  if (!proverPresent) {
    skipped.push(`bundled prover cases: ${proverMissingReason}`);
    return { cases, skipped };
  }
  for (const fault of [null, "h-bitflip", "a-bitflip", "c-bitflip"]) {
    const label = fault ?? "valid";
    const proofFile = join(ws.dir, `prover-${label}-proof.json`);
    const publicFile = join(ws.dir, `prover-${label}-public.json`);
    const run = await exec(
      proverPath,
      [
        multi.fixture.zkey,
        multi.fixture.wtns,
        proofFile,
        publicFile,
        "--backend",
        "cpu",
        "--seed",
        "7",
        ...(fault ? ["--inject-fault", fault] : []),
      ],
      { timeoutMs: 120_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    add(`bundled prover, ${label}`, "multi_io", multi.fixture, {
      proof: JSON.parse(await readFile(proofFile, "utf8")) as Record<string, unknown>,
      publicSignals: JSON.parse(await readFile(publicFile, "utf8")) as string[],
    });
  }
  return { cases, skipped };
}

describeWithNative("agreement with snarkjs groth16 verify", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let cases: Case[];
  const verdicts = new Map<string, Verdict>();

  beforeAll(async () => {
    ws = await workspace("agreement");
    const built = await buildCases(ws);
    cases = built.cases;
    for (const reason of built.skipped) console.warn(`SKIPPED ${reason}`);
    await installCircuit(ws, await ensureCircuit("multiplier"));
    await installCircuit(ws, await ensureCircuit("multi_io"));
    await mkdir(join(ws.circuits, "multiplier-other"));
    await copyFile(
      cases.find((c) => c.circuit === "multiplier-other")?.vkey as string,
      join(ws.circuits, "multiplier-other", "verification_key.json"),
    );
    verifier = await start(ws, { workers: 2, batchMax: 64 });
    // All at once: the queue fills while the first batch runs, so later batches mix cases.
    const replies = await Promise.all(
      cases.map((c, i) =>
        post(verifier.url, submission(c.pair, { circuit: c.circuit, uuid: `GPU-case-${i}` })),
      ),
    );
    for (const [i, reply] of replies.entries()) {
      expect(reply.status, JSON.stringify(reply.body)).toBe(202);
      verdicts.set((cases[i] as Case).name, await decided(verifier.url, reply.body.id));
    }
  }, 600_000);
  afterAll(async () => {
    await verifier?.close();
    await ws?.cleanup();
  });

  it("gives snarkjs' answer on every case", async () => {
    const rows = [];
    for (const [i, c] of cases.entries()) {
      const proofFile = join(ws.dir, `case-${i}-proof.json`);
      const publicFile = join(ws.dir, `case-${i}-public.json`);
      await writeJson(proofFile, c.pair.proof);
      await writeJson(publicFile, c.pair.publicSignals);
      const reference = await snarkjsVerifyDetailed(c.vkey, publicFile, proofFile);
      const v = verdicts.get(c.name) as Verdict;
      rows.push({ case: c.name, snarkjs: reference.valid, verifier: v.result === "valid", v });
    }
    const disagreements = rows.filter((r) => r.snarkjs !== r.verifier);

    expect(disagreements).toEqual([]);
    // The cases meant to be valid are, so the agreement above is not all-rejecting.
    expect(rows.filter((r) => r.verifier).map((r) => r.case)).toEqual(
      cases.filter((c) => /valid/.test(c.name) && !/invalid/.test(c.name)).map((c) => c.name),
    );
  });

  it("says why: malformed for points off their curve, invalid for a failed pairing", () => {
    expect(verdicts.get("pi_a x + 1 (off the curve)")?.result).toBe("malformed");
    expect(verdicts.get("pi_b x swapped (off the twist)")?.result).toBe("malformed");
    expect(verdicts.get("pi_c + G (on the curve)")).toMatchObject({ result: "invalid" });
    expect(verdicts.get("public signals reordered")).toMatchObject({ result: "invalid" });
  });

  it("rejects a proof for other signals than the job expected, though the pairing passes", async () => {
    const base = await fixtureProof("multi_io");
    // A fresh valid proof: the fixture's own was submitted above and would be a duplicate.
    const [multi] = (await rerandomized(base, base.fixture.vkey, 1)) as [ProofPair];
    const expected = multi.publicSignals.map((s, i) => (i === 0 ? (BigInt(s) + 1n).toString() : s));

    const wrong = await post(verifier.url, {
      ...submission(multi, { circuit: "multi_io", uuid: "GPU-expected" }),
      jobId: "expected-mismatch",
      expectedPublicSignals: expected,
    });
    const v = await decided(verifier.url, wrong.body.id);

    expect(v).toMatchObject({ result: "invalid", status: "checked" });
    expect(v.reason).toMatch(/differ from the job's expected ones \(pairing check: passed\)/);
    expect(v.sampling.reason).toMatch(/always checked/);
  });
});
