/**
 * The addon loaded by several worker threads at once (the service runs one verifier per
 * worker): each gets its own instance, verifies, and exits cleanly.
 */
import { Worker } from "node:worker_threads";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addonPath,
  nativeVerifierAvailable,
  prepareKey,
  verifyProof,
} from "../../verifier/native.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { type Circuit, loadCircuit, type ProofCase } from "./support.js";

const available = nativeVerifierAvailable();

// Plain JavaScript so the worker needs no TypeScript loader: it calls the raw binding
// with the string layout verifier/native.ts passes.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const addon = require(workerData.addon);
const { vk, proof, publics, rounds } = workerData;
const g1 = (p) => [p[0], p[1], p[2]];
const g2 = (p) => [p[0][0], p[0][1], p[1][0], p[1][1], p[2][0], p[2][1]];
const key = addon.prepareKey([...g1(vk.vk_alpha_1), ...g2(vk.vk_beta_2), ...g2(vk.vk_gamma_2),
  ...g2(vk.vk_delta_2), ...vk.IC.flatMap(g1)]);
const flat = [...g1(proof.pi_a), ...g2(proof.pi_b), ...g1(proof.pi_c)];
const codes = [];
for (let i = 0; i < rounds; i++) codes.push(addon.verifyProof(key, flat, publics)[0]);
codes.push(...addon.verifyBatch(key, [flat, flat, flat], [publics, publics, publics]).map((v) => v[0]));
parentPort.postMessage(codes);
`;

function runWorker(circuit: Circuit, rounds: number): Promise<number[]> {
  const p = circuit.proofs[0] as ProofCase;
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        addon: addonPath(),
        vk: JSON.parse(circuit.keyJson),
        proof: p.proof,
        publics: p.publicSignals,
        rounds,
      },
    });
    let codes: number[] | undefined;
    worker.on("message", (m: number[]) => {
      codes = m;
    });
    worker.on("error", reject);
    worker.on("exit", (code) =>
      code === 0 && codes ? resolve(codes) : reject(new Error(`worker exit ${code}`)),
    );
  });
}

describe.skipIf(!available)("worker threads", () => {
  let circuit: Circuit;

  beforeAll(async () => {
    const { dir, cleanup } = await makeTempDir("verifier-workers");
    circuit = await loadCircuit("multi_io", dir);
    await cleanup();
  });

  it("verifies in four workers and the main thread at the same time", async () => {
    const workers = Array.from({ length: 4 }, () => runWorker(circuit, 5));
    const key = prepareKey(circuit.keyJson);
    const p = circuit.proofs[0] as ProofCase;
    const main = verifyProof(key, JSON.stringify(p.proof), JSON.stringify(p.publicSignals));

    const results = await Promise.all(workers);

    expect(main).toEqual({ result: "valid" });
    for (const codes of results) expect(codes).toEqual(Array(8).fill(0));
  });

  it("survives workers that exit while their keys are still alive", async () => {
    for (let round = 0; round < 3; ++round) {
      await Promise.all(Array.from({ length: 3 }, () => runWorker(circuit, 1)));
    }
  });
});
