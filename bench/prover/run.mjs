#!/usr/bin/env node
// Prover benchmark: `proofwatch-prover --backend cpu` (or `--backend cuda`) against a baseline
// on the same zkey and witness, every proof checked by `snarkjs groth16 verify`. The baseline
// is snarkjs `groth16 prove`, or rapidsnark's `prover` with --rapidsnark PATH ($RAPIDSNARK).
// Not part of the test suite: at 2^16 it takes minutes on two cores. See README.md.
//
// Plain JavaScript so it runs with no build step: `node bench/prover/run.mjs [--constraints 2^16]`.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("../..", import.meta.url));
const snarkjsCli = join(root, "node_modules/snarkjs/cli.js");
const circomCli = join(root, "node_modules/circom2/cli.js");
const chainSource = join(root, "test/circuits/mimc_chain.circom");
const TARGET_SPEEDUP = 5;
// Our wall time over rapidsnark's (issue 14): at most 0.9 at 2^12 and below, 0.6 above.
const rapidsnarkTarget = (log) => (log <= 12 ? 0.9 : 0.6);

const usage = `usage: node bench/prover/run.mjs [options]
  --constraints 2^K   circuit size: fills a 2^K evaluation domain (default 2^16, K in 4..22)
  --reps N            timed runs of each prover; the median is reported (default 3)
  --backend cpu|cuda  proofwatch-prover's backend (default cpu; cuda needs a GPU build and device)
  --threads N         passed to proofwatch-prover (default: its own, all cores)
  --prover PATH       prover binary (default prover/build/proofwatch-prover or $PROOFWATCH_PROVER)
  --rapidsnark PATH   compare with rapidsnark's \`prover\` binary (or $RAPIDSNARK) instead of snarkjs:
                      runs alternate in pairs, each pair's ratio ours / rapidsnark, median reported
  --circuit mimc|squaring
                      mimc (default): MimcChain compiled by circom2, witness by snarkjs;
                      squaring: prover-bench-circuit's squaring chain (no circom or snarkjs
                      witness step, fast at 2^18 and above)
  --bench-circuit PATH  prover-bench-circuit binary (default beside --prover, or
                      $PROOFWATCH_BENCH_CIRCUIT)
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
        rapidsnark: { type: "string" },
        circuit: { type: "string", default: "mimc" },
        "bench-circuit": { type: "string" },
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
  const rapidsnark = values.rapidsnark ?? process.env.RAPIDSNARK;
  if (rapidsnark !== undefined && !existsSync(rapidsnark))
    fail(`no rapidsnark prover at ${rapidsnark}`);
  if (values.circuit !== "mimc" && values.circuit !== "squaring")
    fail(`--circuit wants mimc or squaring, got ${values.circuit}`);
  const benchCircuit =
    values["bench-circuit"] ??
    process.env.PROOFWATCH_BENCH_CIRCUIT ??
    join(dirname(prover), "prover-bench-circuit");
  if (values.circuit === "squaring" && !existsSync(benchCircuit))
    fail(`no prover-bench-circuit at ${benchCircuit}; build it with \`npm run build\``);
  return {
    log,
    reps,
    backend: values.backend,
    threads: values.threads,
    prover,
    rapidsnark,
    circuit: values.circuit,
    benchCircuit,
    json: values.json,
  };
}

/**
 * Runs a program, resolving with its output and wall time; rejects on a non-zero exit.
 * With cpu, it runs under bash, whose `times` reports the CPU seconds (user + system) its
 * child used: on a machine shared with other work they vary less than wall time.
 */
function run(file, args, cwd, { cpu = false } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = cpu
      ? spawn("bash", ["-c", '"$0" "$@"; s=$?; times >&2; exit $s', file, ...args], {
          cwd,
          stdio: ["ignore", "pipe", "pipe"],
        })
      : spawn(file, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
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
      if (code === 0)
        resolve({ stdout, stderr, seconds, cpuSeconds: cpu ? childCpu(stderr) : null });
      else {
        reject(
          new Error(`${file} ${args.join(" ")} exited with ${code ?? signal}\n${stdout}${stderr}`),
        );
      }
    });
  });
}

/** The children's user and system seconds from the last line of bash's `times` (0m1.234s 0m0.056s). */
function childCpu(stderr) {
  const last = stderr.trim().split("\n").at(-1) ?? "";
  const parts = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (parts.length !== 2) throw new Error(`cannot read the CPU time from bash's times: ${last}`);
  return parts[0] + parts[1];
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

/**
 * The squaring-chain circuit of prover-bench-circuit (x_{i+1} = x_i^2 + c_i, full-width
 * values) filling the 2^K domain, with its witness, cached in .cache/bench/prover/squaring-2^K/.
 * Both files are deterministic (seed 1), so the stamp is the tool's output line.
 */
async function buildSquaringCircuit(log, tool) {
  const dir = join(root, ".cache/bench/prover", `squaring-2^${log}`);
  const stamp = join(dir, "stamp");
  if (
    existsSync(stamp) &&
    existsSync(join(dir, "bench.r1cs")) &&
    existsSync(join(dir, "witness.wtns"))
  )
    return { dir, constraints: 2 ** log - 2, cached: true };
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const made = await run(tool, [String(log), "bench.r1cs", "witness.wtns", "1"], dir);
  await writeFile(stamp, made.stderr);
  return { dir, constraints: 2 ** log - 2, cached: false };
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

/** The machine and how busy it is: other work shares it, so every result names both. */
function machine() {
  const list = cpus();
  return { cpus: list.length, model: list[0]?.model ?? "unknown", loadavg: loadavg() };
}

/** The lines both comparisons end with; returns the machine as it stands at the end. */
function printClosing(start) {
  const end = machine();
  console.log(
    `  load average  ${loadText(start.loadavg)} at the start, ${loadText(end.loadavg)} at the end`,
  );
  console.log(`  total bench   ${seconds(Number(process.hrtime.bigint() - start.t0) / 1e9)}`);
  return end;
}

/** The machine in the --json record: its CPUs and the load average at the start and the end. */
function machineRecord(start, end) {
  return {
    cpus: start.cpus,
    model: start.model,
    loadavgStart: start.loadavg,
    loadavgEnd: end.loadavg,
  };
}

function loadText(l) {
  return l.map((v) => v.toFixed(2)).join(" ");
}

/** The circuit and an INSECURE dev-setup key for it, in one folder; returns what main needs. */
async function prepare(options) {
  let dir;
  let description;
  let r1cs;
  if (options.circuit === "squaring") {
    const c = await buildSquaringCircuit(options.log, options.benchCircuit);
    dir = c.dir;
    r1cs = "bench.r1cs";
    description = `squaring chain (prover-bench-circuit) = ${c.constraints} constraints${c.cached ? " (cached)" : ""}`;
  } else {
    const c = await buildCircuit(options.log);
    dir = c.dir;
    r1cs = "bench.r1cs";
    description = `MimcChain(${c.rounds}) = ${3 * c.rounds} constraints${c.cached ? " (cached)" : ""}`;
  }
  console.log(`  circuit       ${description}`);
  // An INSECURE key from the prover's dev-setup: a snarkjs powers of tau at 2^16 takes
  // over twenty minutes on two cores. Proving speed does not depend on where the key came
  // from, and snarkjs verifies against the vkey exported from this very zkey.
  const setup = await run(options.prover, ["dev-setup", r1cs, "dev.zkey"], dir);
  console.log(`  dev-setup     ${seconds(setup.seconds)}`);
  await snarkjs(["zkey", "export", "verificationkey", "dev.zkey", "vkey.json"], dir);
  return { dir, description };
}

function oursArgs(options, proof, pub, timings) {
  const threads = options.threads ? ["--threads", options.threads] : [];
  return [
    "dev.zkey",
    "witness.wtns",
    proof,
    pub,
    "--backend",
    options.backend,
    "--timings",
    timings,
    ...threads,
  ];
}

/** proofwatch against rapidsnark: alternating pairs, each proof verified by snarkjs. */
async function againstRapidsnark(options, dir, description, start) {
  const ours = [];
  const theirs = [];
  const ratios = [];
  const oursCpu = [];
  const theirsCpu = [];
  const cpuRatios = [];
  const checks = [];
  let timings;
  for (let i = 0; i < options.reps; i++) {
    // Who goes first alternates too, so neither always runs on a cache the other warmed.
    const runRapidsnark = () =>
      run(
        options.rapidsnark,
        ["dev.zkey", "witness.wtns", `rs-proof-${i}.json`, `rs-public-${i}.json`],
        dir,
        { cpu: true },
      );
    const runOurs = () =>
      run(
        options.prover,
        oursArgs(options, `pw-proof-${i}.json`, `pw-public-${i}.json`, "timings.json"),
        dir,
        { cpu: true },
      );
    let r;
    let o;
    if (i % 2 === 0) {
      r = await runRapidsnark();
      o = await runOurs();
    } else {
      o = await runOurs();
      r = await runRapidsnark();
    }
    theirs.push(r.seconds);
    ours.push(o.seconds);
    ratios.push(o.seconds / r.seconds);
    theirsCpu.push(r.cpuSeconds);
    oursCpu.push(o.cpuSeconds);
    cpuRatios.push(o.cpuSeconds / r.cpuSeconds);
    timings = JSON.parse(await readFile(join(dir, "timings.json"), "utf8"));
    console.log(
      `  pair ${String(i + 1).padEnd(2)}       rapidsnark ${seconds(r.seconds)}   proofwatch ${seconds(o.seconds)}   ratio ${(o.seconds / r.seconds).toFixed(3)}   CPU ${seconds(r.cpuSeconds)} / ${seconds(o.cpuSeconds)} = ${(o.cpuSeconds / r.cpuSeconds).toFixed(3)}   load ${loadText(loadavg())}`,
    );
  }
  for (let i = 0; i < options.reps; i++) {
    const rsOk = await verify(dir, "vkey.json", `rs-public-${i}.json`, `rs-proof-${i}.json`);
    const pwOk = await verify(dir, "vkey.json", `pw-public-${i}.json`, `pw-proof-${i}.json`);
    const same =
      (await readFile(join(dir, `pw-public-${i}.json`), "utf8")).replace(/\s/g, "") ===
      (await readFile(join(dir, `rs-public-${i}.json`), "utf8")).replace(/\s/g, "");
    checks.push({ rapidsnark: rsOk, proofwatch: pwOk, samePublic: same });
  }
  const allOk = checks.every((c) => c.rapidsnark && c.proofwatch && c.samePublic);

  const ratio = median(ratios);
  const ratioOfMedians = median(ours) / median(theirs);
  const target = rapidsnarkTarget(options.log);
  const met = ratio <= target;
  console.log(
    `  rapidsnark    ${seconds(median(theirs))} median ${seconds(Math.min(...theirs))} best   verify ${checks.every((c) => c.rapidsnark) ? "OK" : "FAILED"}`,
  );
  console.log(
    `  proofwatch    ${seconds(median(ours))} median ${seconds(Math.min(...ours))} best   verify ${checks.every((c) => c.proofwatch) ? "OK" : "FAILED"}   public ${checks.every((c) => c.samePublic) ? "same" : "DIFFERENT"}`,
  );
  if (timings) console.log(`  phases (last) ${JSON.stringify(timings)}`);
  console.log(
    `  ratio         ${ratio.toFixed(3)} median of ${options.reps} pairs (proofwatch / rapidsnark; ${ratioOfMedians.toFixed(3)} as median over median), target <= ${target}: ${met ? "met" : "MISSED"}`,
  );
  const cpuRatio = median(cpuRatios);
  console.log(
    `  CPU ratio     ${cpuRatio.toFixed(3)} median of the pairs' CPU seconds (user + system) ratios; rapidsnark ${seconds(median(theirsCpu))}, proofwatch ${seconds(median(oursCpu))} median (the target is on wall time)`,
  );
  const end = printClosing(start);

  if (options.json) {
    const result = {
      log2Domain: options.log,
      circuit: description,
      baseline: "rapidsnark",
      rapidsnark: options.rapidsnark,
      backend: options.backend,
      reps: options.reps,
      machine: machineRecord(start, end),
      rapidsnarkSeconds: theirs,
      proofwatchSeconds: ours,
      pairRatios: ratios,
      ratio,
      ratioOfMedians,
      rapidsnarkCpuSeconds: theirsCpu,
      proofwatchCpuSeconds: oursCpu,
      pairCpuRatios: cpuRatios,
      cpuRatio,
      target,
      targetMet: met,
      verified: checks,
      phases: timings,
    };
    await writeFile(options.json, `${JSON.stringify(result, null, 2)}\n`);
  }
  // A wrong proof is a failure whatever the speed; a missed target only a report.
  if (!allOk) process.exit(1);
}

/** proofwatch against snarkjs `groth16 prove`: interleaved runs, the last proofs verified. */
async function againstSnarkjs(options, dir, description, start) {
  const ours = [];
  const theirs = [];
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
      oursArgs(options, "proof.json", "public.json", "timings.json"),
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
  const end = printClosing(start);

  if (options.json) {
    const result = {
      log2Domain: options.log,
      circuit: description,
      baseline: "snarkjs",
      backend: options.backend,
      reps: options.reps,
      machine: machineRecord(start, end),
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

async function main() {
  const options = parseOptions();
  const start = { t0: process.hrtime.bigint(), ...machine() };
  const baseline = options.rapidsnark ? `rapidsnark (${options.rapidsnark})` : "snarkjs";
  console.log(
    `proofwatch prover benchmark: 2^${options.log} domain, ${options.reps} runs each against ${baseline}, --backend ${options.backend}`,
  );
  console.log(
    `  machine       ${start.cpus} x ${start.model}, load average ${loadText(start.loadavg)}`,
  );
  const { dir, description } = await prepare(options);
  if (options.rapidsnark) await againstRapidsnark(options, dir, description, start);
  else await againstSnarkjs(options, dir, description, start);
}

main().catch((error) => {
  console.error(`bench/prover: ${error.stack ?? error}`);
  process.exit(1);
});
