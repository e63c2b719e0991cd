#!/usr/bin/env node
// Prover benchmark: snarkjs `groth16 prove` against `proofwatch-prover --backend cpu` (or
// `--backend cuda`) on the same zkey and witness, both checked by `snarkjs groth16 verify`. Not part of the
// test suite: at 2^16 it takes several minutes on two cores. See README.md.
//
// Plain JavaScript so it runs with no build step: `node bench/prover/run.mjs [--constraints 2^16]`.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("../..", import.meta.url));
const snarkjsCli = join(root, "node_modules/snarkjs/cli.js");
const circomCli = join(root, "node_modules/circom2/cli.js");
const chainSource = join(root, "test/circuits/mimc_chain.circom");
const TARGET_SPEEDUP = 5;

const usage = `usage: node bench/prover/run.mjs [options]
  --constraints 2^K   circuit size: fills a 2^K evaluation domain (default 2^16, K in 4..22)
  --reps N            timed runs of each prover; the median is reported (default 3)
  --backend cpu|cuda  proofwatch-prover's backend (default cpu; cuda needs a GPU build and device)
  --threads N         passed to proofwatch-prover (default: its own, all cores)
  --prover PATH       prover binary (default prover/build/proofwatch-prover or $PROOFWATCH_PROVER)
  --json FILE         also write the results as JSON`;

function fail(message) {
  console.error(`bench/prover: ${message}`);
  process.exit(2);
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        constraints: { type: "string", default: "2^16" },
        reps: { type: "string", default: "3" },
        backend: { type: "string", default: "cpu" },
        threads: { type: "string" },
        prover: { type: "string" },
        json: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    fail(`${error.message}\n${usage}`);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const match = /^2\^(\d+)$/.exec(values.constraints);
  const log = match ? Number(match[1]) : Number.NaN;
  if (!(log >= 4 && log <= 22))
    fail(`--constraints wants 2^K with K in 4..22, got ${values.constraints}`);
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1)
    fail(`--reps wants a positive integer, got ${values.reps}`);
  if (values.backend !== "cpu" && values.backend !== "cuda")
    fail(`--backend wants cpu or cuda, got ${values.backend}`);
  if (values.threads !== undefined && !/^[1-9]\d*$/.test(values.threads)) {
    fail(`--threads wants a positive integer, got ${values.threads}`);
  }
  const prover =
    values.prover ?? process.env.PROOFWATCH_PROVER ?? join(root, "prover/build/proofwatch-prover");
  if (!existsSync(prover)) fail(`no prover at ${prover}; build it with \`npm run build\``);
  return {
    log,
    reps,
    backend: values.backend,
    threads: values.threads,
    prover,
    json: values.json,
  };
}

/** Runs a program, resolving with its output and wall time; rejects on a non-zero exit. */
function run(file, args, cwd) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ stdout, stderr, seconds });
      else {
        reject(
          new Error(`${file} ${args.join(" ")} exited with ${code ?? signal}\n${stdout}${stderr}`),
        );
      }
    });
  });
}

// snarkjs runs in a child process: its worker threads would otherwise keep this one alive.
const snarkjs = (args, cwd) => run(process.execPath, [snarkjsCli, ...args], cwd);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** MimcChain costs 3 constraints a round; leave room for 2 public signals and the one. */
function roundsFor(log) {
  return Math.floor((2 ** log - 3) / 3);
}

/**
 * Compiles the benchmark circuit once per size into .cache/bench/prover/2^K/, reusing it
 * while the template is unchanged. circom2 (WASI) only reads includes inside its working
 * folder, hence the copy of the template.
 */
async function buildCircuit(log) {
  const dir = join(root, ".cache/bench/prover", `2^${log}`);
  const chain = await readFile(chainSource, "utf8");
  const rounds = roundsFor(log);
  const main = `pragma circom 2.0.0;\ninclude "mimc_chain.circom";\ncomponent main {public [k]} = MimcChain(${rounds});\n`;
  const key = createHash("sha256").update(chain).update(main).digest("hex");
  const stamp = join(dir, "stamp");
  if (existsSync(stamp) && (await readFile(stamp, "utf8")) === key)
    return { dir, rounds, cached: true };

  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await copyFile(chainSource, join(dir, "mimc_chain.circom"));
  await writeFile(join(dir, "bench.circom"), main);
  await writeFile(
    join(dir, "input.json"),
    `${JSON.stringify({ x: "31415926535", k: "27182818" })}\n`,
  );
  await run(process.execPath, [circomCli, "bench.circom", "--r1cs", "--wasm", "-o", "."], dir);
  await snarkjs(["wtns", "calculate", "bench_js/bench.wasm", "input.json", "witness.wtns"], dir);
  await writeFile(stamp, key);
  return { dir, rounds, cached: false };
}

async function verify(dir, vkey, pub, proof) {
  try {
    const { stdout } = await snarkjs(["groth16", "verify", vkey, pub, proof], dir);
    return stdout.includes("OK!");
  } catch {
    return false;
  }
}

function seconds(s) {
  return `${s.toFixed(2).padStart(8)} s`;
}

async function main() {
  const options = parseOptions();
  const t0 = process.hrtime.bigint();
  console.log(
    `proofwatch prover benchmark: 2^${options.log} domain, ${options.reps} runs each, --backend ${options.backend}`,
  );

  const { dir, rounds, cached } = await buildCircuit(options.log);
  console.log(
    `  circuit       MimcChain(${rounds}) = ${3 * rounds} constraints${cached ? " (cached)" : ""}`,
  );

  // An INSECURE key from the prover's dev-setup: a snarkjs powers of tau at 2^16 takes
  // over twenty minutes on two cores. Proving speed does not depend on where the key came
  // from, and snarkjs verifies against the vkey exported from this very zkey.
  const setup = await run(options.prover, ["dev-setup", "bench.r1cs", "dev.zkey"], dir);
  console.log(`  dev-setup     ${seconds(setup.seconds)}`);
  await snarkjs(["zkey", "export", "verificationkey", "dev.zkey", "vkey.json"], dir);

  const ours = [];
  const theirs = [];
  const threads = options.threads ? ["--threads", options.threads] : [];
  let timings;
  // Interleaved so that a machine slowing down mid-run (thermal, a neighbour) hurts both.
  for (let i = 0; i < options.reps; i++) {
    const s = await snarkjs(
      ["groth16", "prove", "dev.zkey", "witness.wtns", "snarkjs_proof.json", "snarkjs_public.json"],
      dir,
    );
    theirs.push(s.seconds);
    const o = await run(
      options.prover,
      [
        "dev.zkey",
        "witness.wtns",
        "proof.json",
        "public.json",
        "--backend",
        options.backend,
        "--timings",
        "timings.json",
        ...threads,
      ],
      dir,
    );
    ours.push(o.seconds);
    timings = JSON.parse(await readFile(join(dir, "timings.json"), "utf8"));
    console.log(
      `  run ${i + 1}         snarkjs ${seconds(s.seconds)}   proofwatch ${seconds(o.seconds)}`,
    );
  }

  const oursOk = await verify(dir, "vkey.json", "public.json", "proof.json");
  const theirsOk = await verify(dir, "vkey.json", "snarkjs_public.json", "snarkjs_proof.json");
  const samePublic =
    (await readFile(join(dir, "public.json"), "utf8")).trim() ===
    (await readFile(join(dir, "snarkjs_public.json"), "utf8")).trim();

  const snarkjsMedian = median(theirs);
  const oursMedian = median(ours);
  const speedup = snarkjsMedian / oursMedian;
  // The best runs as well: on a shared machine the minimum is the least disturbed figure.
  const bestSpeedup = Math.min(...theirs) / Math.min(...ours);
  console.log(
    `  snarkjs       ${seconds(snarkjsMedian)} median ${seconds(Math.min(...theirs))} best   verify ${theirsOk ? "OK" : "FAILED"}`,
  );
  console.log(
    `  proofwatch    ${seconds(oursMedian)} median ${seconds(Math.min(...ours))} best   verify ${oursOk ? "OK" : "FAILED"}   public ${samePublic ? "same" : "DIFFERENT"}`,
  );
  if (timings) console.log(`  phases (last) ${JSON.stringify(timings)}`);
  console.log(
    `  speedup       ${speedup.toFixed(2)}x median, ${bestSpeedup.toFixed(2)}x best, snarkjs/proofwatch (target >= ${TARGET_SPEEDUP}x on the median: ${speedup >= TARGET_SPEEDUP ? "met" : "MISSED"})`,
  );
  console.log(`  total bench   ${seconds(Number(process.hrtime.bigint() - t0) / 1e9)}`);

  if (options.json) {
    const result = {
      log2Domain: options.log,
      backend: options.backend,
      constraints: 3 * rounds,
      reps: options.reps,
      snarkjsSeconds: theirs,
      proofwatchSeconds: ours,
      snarkjsMedian,
      proofwatchMedian: oursMedian,
      speedup,
      bestSpeedup,
      targetMet: speedup >= TARGET_SPEEDUP,
      verified: { snarkjs: theirsOk, proofwatch: oursOk },
      samePublic,
      phases: timings,
    };
    await writeFile(options.json, `${JSON.stringify(result, null, 2)}\n`);
  }
  // A wrong proof is a failure whatever the speed; a missed target only a report.
  if (!oursOk || !theirsOk || !samePublic) process.exit(1);
}

main().catch((error) => {
  console.error(`bench/prover: ${error.stack ?? error}`);
  process.exit(1);
});
