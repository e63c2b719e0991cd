// Verifier benchmark: proofs per second of proofwatch's native Groth16 verifier (one by one
// and in batches) against snarkjs' in-process `groth16.verify`, on the same proofs in the
// same process, alternating so a machine that slows down mid-run slows every side.
// Not part of the test suite. See README.md.
//
//   npx tsx bench/verifier/run.ts [--circuit multi_io] [--proofs 8] [--batch 64] [--seconds 4]
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
// snarkjs and ffjavascript ship no types; the functions used are declared below.
// @ts-expect-error no declaration file
import * as ffjavascript from "ffjavascript";
// @ts-expect-error no declaration file
import * as snarkjsModule from "snarkjs";
import {
  type CircuitName,
  circuitNames,
  ensureCircuit,
  repoRoot,
  snarkjs as snarkjsCli,
} from "../../test/prover/fixtures.js";
import {
  nativeVerifierAvailable,
  prepareKey,
  type Verdict,
  verifyBatch,
  verifyProof,
} from "../../verifier/native.js";

const TARGET_ONE_BY_ONE = 10;
const TARGET_BATCHED = 30;

interface SnarkjsGroth16 {
  verify(vk: unknown, publicSignals: unknown, proof: unknown): Promise<boolean>;
}
const snarkjs = snarkjsModule as { groth16: SnarkjsGroth16 };
const { buildBn128 } = ffjavascript as { buildBn128(singleThread: boolean): Promise<unknown> };

/**
 * snarkjs' verify asks ffjavascript for the shared (multi-threaded) bn128 curve, which
 * ffjavascript caches in globalThis.curve_bn128; seeding that cache with a single-threaded
 * build keeps snarkjs on one thread, like the native verifier.
 */
async function singleThreadedSnarkjs(): Promise<void> {
  (globalThis as { curve_bn128?: unknown }).curve_bn128 = await buildBn128(true);
}

const usage = `usage: npx tsx bench/verifier/run.ts [options]
  --circuit NAME   ${circuitNames.join(" | ")} (default multi_io: 6 public signals)
  --proofs N       distinct proofs, made once with snarkjs and cached (default 8)
  --batch N        proofs per verifyBatch call (default 64)
  --seconds S      minimum time per measurement (default 4)
  --rounds N       measurements per side, alternating; the median is reported (default 3)
  --snarkjs-threads   leave snarkjs on its default multi-threaded curve
  --json FILE      also write the results as JSON`;

function fail(message: string): never {
  console.error(`bench/verifier: ${message}\n${usage}`);
  process.exit(2);
}

function options() {
  const { values } = parseArgs({
    options: {
      circuit: { type: "string", default: "multi_io" },
      proofs: { type: "string", default: "8" },
      batch: { type: "string", default: "64" },
      seconds: { type: "string", default: "4" },
      rounds: { type: "string", default: "3" },
      json: { type: "string" },
      "snarkjs-threads": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const circuit = values.circuit as CircuitName;
  if (!circuitNames.includes(circuit)) fail(`unknown circuit ${values.circuit}`);
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) fail(`--${name} wants an integer >= ${min}, got ${v}`);
    return n;
  };
  return {
    circuit,
    proofs: int("proofs", values.proofs, 1),
    batch: int("batch", values.batch, 2),
    seconds: Number(values.seconds) > 0 ? Number(values.seconds) : fail("--seconds wants > 0"),
    rounds: int("rounds", values.rounds, 1),
    json: values.json,
    snarkjsThreads: values["snarkjs-threads"] === true,
  };
}

interface Proof {
  proofJson: string;
  publicSignalsJson: string;
}

/** `count` proofs of the fixture's witness (snarkjs randomises each), cached on disk. */
async function makeProofs(name: CircuitName, count: number): Promise<Proof[]> {
  const fixture = await ensureCircuit(name);
  const dir = join(repoRoot, ".cache/bench/verifier", name);
  await mkdir(dir, { recursive: true });
  const out: Proof[] = [];
  for (let i = 0; i < count; ++i) {
    const proofPath = join(dir, `proof-${i}.json`);
    const publicPath = join(dir, `public-${i}.json`);
    // The cache is only good for the current key: the fixture rebuilds on any change.
    const stamp = join(dir, `proof-${i}.key`);
    const keyText = await readFile(fixture.vkey, "utf8");
    if (!existsSync(stamp) || (await readFile(stamp, "utf8")) !== keyText) {
      await snarkjsCli(["groth16", "prove", fixture.zkey, fixture.wtns, proofPath, publicPath]);
      await writeFile(stamp, keyText);
    }
    out.push({
      proofJson: await readFile(proofPath, "utf8"),
      publicSignalsJson: await readFile(publicPath, "utf8"),
    });
  }
  return out;
}

interface Measure {
  proofsPerSecond: number;
  /** Process CPU time (every thread) per proof, milliseconds. */
  cpuMsPerProof: number;
}

/** Runs `step` (which verifies `per` proofs) until `seconds` have passed. */
async function measure(seconds: number, per: number, step: () => unknown): Promise<Measure> {
  let proofs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let elapsed = 0;
  do {
    await step();
    proofs += per;
    elapsed = performance.now() - t0;
  } while (elapsed < seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  return {
    proofsPerSecond: (proofs * 1000) / elapsed,
    cpuMsPerProof: (cpu.user + cpu.system) / 1000 / proofs,
  };
}

function median(xs: Measure[]): Measure {
  const sorted = [...xs].sort((a, b) => a.proofsPerSecond - b.proofsPerSecond);
  return sorted[Math.floor(sorted.length / 2)] as Measure;
}

async function main() {
  const opt = options();
  if (!nativeVerifierAvailable()) fail("native verifier not built: run `npm run build`");
  console.log(`bench/verifier: circuit ${opt.circuit}, ${opt.proofs} distinct proofs`);
  const proofs = await makeProofs(opt.circuit, opt.proofs);
  const fixture = await ensureCircuit(opt.circuit);
  const keyJson = await readFile(fixture.vkey, "utf8");
  const vk: unknown = JSON.parse(keyJson);
  const parsed = proofs.map((p) => ({
    proof: JSON.parse(p.proofJson) as unknown,
    signals: JSON.parse(p.publicSignalsJson) as unknown,
  }));

  if (!opt.snarkjsThreads) await singleThreadedSnarkjs();
  const t0 = performance.now();
  const key = prepareKey(keyJson);
  const prepareMs = performance.now() - t0;

  // Both sides must accept every proof before anything is timed.
  for (const [i, p] of proofs.entries()) {
    const ours = verifyProof(key, p.proofJson, p.publicSignalsJson);
    const theirs = await snarkjs.groth16.verify(vk, parsed[i]?.signals, parsed[i]?.proof);
    if (ours.result !== "valid" || !theirs)
      fail(`proof ${i}: ours ${ours.result}, snarkjs ${theirs}`);
  }
  const batch = Array.from({ length: opt.batch }, (_, i) => proofs[i % proofs.length] as Proof);
  const allValid = (vs: Verdict[]) => vs.every((v) => v.result === "valid");
  if (!allValid(verifyBatch(key, batch))) fail("a batch of valid proofs was not accepted");

  let next = 0;
  const sides = {
    snarkjs: () =>
      measure(opt.seconds, 1, async () => {
        const p = parsed[next++ % parsed.length];
        if (!(await snarkjs.groth16.verify(vk, p?.signals, p?.proof)))
          throw new Error("snarkjs rejected");
      }),
    native: () =>
      measure(opt.seconds, 1, () => {
        const p = proofs[next++ % proofs.length] as Proof;
        if (verifyProof(key, p.proofJson, p.publicSignalsJson).result !== "valid") {
          throw new Error("native rejected");
        }
      }),
    batched: () =>
      measure(opt.seconds, opt.batch, () => {
        if (!allValid(verifyBatch(key, batch))) throw new Error("batch rejected");
      }),
  };
  const results: Record<keyof typeof sides, Measure[]> = { snarkjs: [], native: [], batched: [] };
  for (let r = 0; r < opt.rounds; ++r) {
    for (const side of Object.keys(sides) as (keyof typeof sides)[]) {
      results[side].push(await sides[side]());
    }
  }
  const m = {
    snarkjs: median(results.snarkjs),
    native: median(results.native),
    batched: median(results.batched),
  };
  // Wall-clock ratio, and the ratio of process CPU time per proof: on a shared machine the
  // second is the steadier of the two (neither side is charged for time it spent waiting).
  const ratio = (a: Measure) => a.proofsPerSecond / m.snarkjs.proofsPerSecond;
  const cpuRatio = (a: Measure) => m.snarkjs.cpuMsPerProof / a.cpuMsPerProof;
  const met = (r: number, target?: number) =>
    target === undefined ? "" : r >= target ? " met" : " MISSED";
  const row = (label: string, x: Measure, target?: number) =>
    [
      label.padEnd(28),
      `${x.proofsPerSecond.toFixed(1).padStart(8)} proofs/s`,
      `${(1000 / x.proofsPerSecond).toFixed(3).padStart(7)} ms`,
      `${x.cpuMsPerProof.toFixed(3).padStart(7)} cpu-ms`,
      `wall ${ratio(x).toFixed(1).padStart(5)}x${met(ratio(x), target)}`,
      `cpu ${cpuRatio(x).toFixed(1).padStart(5)}x${met(cpuRatio(x), target)}`,
      target === undefined ? "" : `(target ${target}x)`,
    ].join("  ");
  console.log(
    `key prepared in ${prepareMs.toFixed(1)} ms (nPublic ${key.nPublic}); ${opt.snarkjsThreads ? "snarkjs on its default worker threads, native on one" : "both sides on one thread"}`,
  );
  console.log(row("snarkjs groth16.verify", m.snarkjs));
  console.log(row("proofwatch one by one", m.native, TARGET_ONE_BY_ONE));
  console.log(row(`proofwatch batches of ${opt.batch}`, m.batched, TARGET_BATCHED));
  if (opt.json) {
    await writeFile(
      opt.json,
      `${JSON.stringify(
        {
          circuit: opt.circuit,
          batch: opt.batch,
          prepareMs,
          ...m,
          ratios: {
            oneByOne: { wall: ratio(m.native), cpu: cpuRatio(m.native) },
            batched: { wall: ratio(m.batched), cpu: cpuRatio(m.batched) },
          },
        },
        null,
        2,
      )}\n`,
    );
  }
  // snarkjs keeps its curve's worker threads alive.
  process.exit(0);
}

await main();
