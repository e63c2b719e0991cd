// A small fleet for the dashboard queries: the exporter on fake-nvml with a GPU that has every
// kind of trouble, the prover service proving on the same fake GPUs, the verifier with good and
// bad proofs from it, the quarantine service holding it, and a real Prometheus scraping all
// four with the shipped rules.

import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setLogLevel } from "../../common/log.js";
import { packageRoot } from "../../common/package-root.js";
import { INSECURE_WEB_FLAGS } from "../../common/web/index.js";
import { freePort } from "../../demo/src/ports.js";
import { type RunningPrometheus, startPrometheus } from "../../demo/src/prometheus.js";
import { canarySupported } from "../../prover/service/src/canary.js";
import {
  type Checker,
  type CheckItem,
  type RunningVerifier,
  startVerifier,
} from "../../verifier/src/index.js";
import { parseVerificationKey } from "../../verifier/src/schema.js";
import { ScenarioFile, startTestExporter, type TestExporter } from "../exporter/harness.js";
import { KubeletStandIn } from "../exporter/kubelet-stand-in.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { ensureCircuit, proverPath } from "../prover/fixtures.js";
import { finished, submitJob, until, workers } from "../prover-service/helpers.js";
import {
  alert,
  payload,
  post,
  start as startQuarantine,
  workspace,
} from "../quarantine/helpers.js";
import {
  fixtureProof,
  nativeMissingReason,
  type ProofPair,
  rerandomized,
} from "../verifier/helpers.js";

// The faulty GPU's XIDs and bad proofs are logged as warnings: expected here.
setLogLevel("error");

export const uuidOf = (index: number) => `GPU-dddddddd-0000-0000-0000-00000000000${index}`;
/** The GPU with ECC errors, XIDs, remapped rows and PCIe replays, and bad proofs. */
export const FAULTY = 1;
const GPUS = 4;

const scenario = {
  driverVersion: "550.54.15",
  defaults: {
    gpuUtilPercent: 95,
    temperatureGpuCelsius: 62,
    powerUsageMilliwatts: 598_000,
    clocksEventReasons: 0,
    eccCorrectedVolatile: { start: 0, perSecond: 1 },
  },
  devices: Array.from({ length: GPUS }, (_, index) => ({
    uuid: uuidOf(index),
    serial: `16524230009${index}`,
    pciBusId: `00000000:1${index}:00.0`,
    ...(index === FAULTY
      ? {
          fields: {
            temperatureGpuCelsius: 84,
            // The others are passively cooled SXM boards without a fan reading.
            fanSpeedPercent: 70,
            // hw_slowdown | hw_thermal_slowdown
            clocksEventReasons: 0x8 | 0x40,
            eccCorrectedVolatile: { start: 10, perSecond: 4 },
            eccCorrectedAggregate: { start: 212, perSecond: 4 },
            eccUncorrectedVolatile: { start: 2, perSecond: 0.5 },
            eccUncorrectedAggregate: { start: 3, perSecond: 0.5 },
            retiredPagesDoubleBitEcc: 1,
            remappedRowsCorrectable: 2,
            remappedRowsUncorrectable: 1,
            remappedRowsPending: 1,
            pcieReplayCounter: { start: 3, perSecond: 2 },
          },
        }
      : {}),
  })),
  events: [
    { id: "xid48", device: FAULTY, xid: 48, atSeconds: 0 },
    { id: "xid79", device: FAULTY, xid: 79, atSeconds: 1 },
  ],
};

// --- verifier ---------------------------------------------------------------------------

const CIRCUIT = "dashboards";

/** What the verifier is given: a key, proofs it will find valid and ones it will not. */
interface Proofs {
  verificationKey: string;
  valid: ProofPair[];
  invalid: ProofPair[];
  /** Undefined: the verifier's own worker pool over the native verifier. */
  checker?: Checker;
}

const bumpFirstSignal = (pair: ProofPair): ProofPair => ({
  proof: pair.proof,
  publicSignals: pair.publicSignals.map((s, i) => (i === 0 ? String(BigInt(s) + 1n) : s)),
});

/** Real Groth16 proofs of the cached `multiplier` fixture, checked by the native verifier. */
async function nativeProofs(count: number): Promise<Proofs> {
  const base = await fixtureProof("multiplier");
  const valid = await rerandomized(base, base.fixture.vkey, count * 2);
  return {
    verificationKey: await readFile(base.fixture.vkey, "utf8"),
    valid: valid.slice(0, count),
    // A valid proof for a statement it does not prove: the pairing check fails.
    invalid: valid.slice(count).map(bumpFirstSignal),
  };
}

// Where the native verifier is not built: a key of the right form (points not on the curve)
// and a checker that calls a proof invalid by its public signal. The dashboards need the
// verifier's service, store, sampling and metrics, not its cryptography (test/verifier/).
const STAND_IN_KEY = {
  protocol: "groth16",
  curve: "bn128",
  nPublic: 1,
  vk_alpha_1: ["1", "2", "1"],
  vk_beta_2: [
    ["1", "2"],
    ["3", "4"],
    ["1", "0"],
  ],
  vk_gamma_2: [
    ["1", "2"],
    ["3", "4"],
    ["1", "0"],
  ],
  vk_delta_2: [
    ["1", "2"],
    ["3", "4"],
    ["1", "0"],
  ],
  IC: [
    ["1", "2", "1"],
    ["1", "2", "1"],
  ],
};
const STAND_IN_BAD = 1_000_000;

class SignalChecker implements Checker {
  readonly concurrency = 1;
  idle() {
    return 1;
  }
  async prepare(keyJson: string) {
    return { nPublic: parseVerificationKey(keyJson) };
  }
  async check(_keyHash: string, _keyJson: string, items: CheckItem[]) {
    const verdicts = items.map((item) =>
      Number(item.publicSignals[0]) >= STAND_IN_BAD
        ? { result: "invalid" as const, reason: "stand-in checker: bad signal" }
        : { result: "valid" as const, reason: null },
    );
    return { verdicts, ms: 0.4 * items.length };
  }
  async close() {}
}

function standInProofs(count: number): Proofs {
  const proof = { pi_a: ["1", "2", "1"], pi_b: STAND_IN_KEY.vk_beta_2, pi_c: ["1", "2", "1"] };
  const pair = (signal: number) => ({ proof, publicSignals: [String(signal)] });
  return {
    verificationKey: JSON.stringify(STAND_IN_KEY),
    valid: Array.from({ length: count }, (_, i) => pair(i + 1)),
    invalid: Array.from({ length: count }, (_, i) => pair(STAND_IN_BAD + i)),
    checker: new SignalChecker(),
  };
}

async function submit(url: string, uuid: string, pair: ProofPair, job: string) {
  const response = await fetch(`${url}/v1/proofs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      circuit: CIRCUIT,
      jobId: job,
      gpu: { uuid, host: "127.0.0.1" },
      proof: pair.proof,
      publicSignals: pair.publicSignals,
    }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`verifier answered ${response.status}: ${text}`);
}

const ROUNDS = 3;

async function startVerifierWithProofs(dir: string) {
  const proofs = nativeMissingReason
    ? standInProofs(ROUNDS * GPUS)
    : await nativeProofs(ROUNDS * GPUS);
  if (nativeMissingReason) {
    console.warn(`dashboards test: verdicts from a stand-in checker: ${nativeMissingReason}`);
  }
  const circuits = join(dir, "circuits");
  await mkdir(join(circuits, CIRCUIT), { recursive: true });
  await writeFile(join(circuits, CIRCUIT, "verification_key.json"), proofs.verificationKey);
  const verifier = await startVerifier({
    listen: { host: "127.0.0.1", port: 0 },
    web: INSECURE_WEB_FLAGS,
    circuitsDir: circuits,
    db: join(dir, "verifier.db"),
    spoolDir: null,
    workers: 1,
    batchMax: 8,
    queueSize: 1000,
    batchTimeoutMs: 30_000,
    // Half of a healthy GPU's proofs are checked, so "skipped" has series too.
    baseRate: 0.5,
    circuitRates: new Map(),
    recoverAfter: 3,
    bodyLimitBytes: 1024 * 1024,
    rescanMs: 500,
    ...(proofs.checker ? { checker: proofs.checker } : {}),
  });
  return { verifier, proofs };
}

/** Good proofs from every GPU; bad and malformed ones from the faulty GPU. */
async function submitProofs(url: string, proofs: Proofs): Promise<void> {
  let next = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let index = 0; index < GPUS; index++) {
      const pair = proofs.valid[next++] as ProofPair;
      await submit(url, uuidOf(index), pair, `good-${round}-${index}`);
    }
    await submit(url, uuidOf(FAULTY), proofs.invalid[round] as ProofPair, `bad-${round}`);
  }
  const malformed = { ...(proofs.valid[0] as ProofPair) };
  malformed.proof = { ...malformed.proof, pi_a: ["1", "2"] };
  await submit(url, uuidOf(FAULTY), malformed, "malformed");
  // Refused before it is stored: gives submissions_rejected_total a series.
  await fetch(`${url}/v1/proofs`, { method: "POST", body: "not json" }).then((r) => r.text());
}

// --- prover service ----------------------------------------------------------------------

interface RunningProver {
  url: string;
  stop(): Promise<void>;
}

/**
 * `proofwatch prover` in its own process, as operators run it, on the exporter's fake-nvml
 * scenario (the exporter set PROOFWATCH_NVML_LIBRARY and FAKE_NVML_SCENARIO in this process's
 * environment), so its workers carry the exporter's GPU uuids.
 */
async function startProver(dir: string): Promise<RunningProver> {
  const fixture = await ensureCircuit("multiplier");
  const circuits = join(dir, "prover-circuits");
  await mkdir(join(circuits, "multiplier"), { recursive: true });
  await copyFile(fixture.zkey, join(circuits, "multiplier", "circuit.zkey"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ["--import", "tsx", join(packageRoot(), "cli/main.ts"), "prover"];
  args.push("--listen", `127.0.0.1:${port}`, "--circuits", circuits, "--out", join(dir, "proofs"));
  args.push("--no-verifier", "--host", "127.0.0.1", "--threads", "1");
  // Jobs name the fixture's witness file; this test posts them without credentials.
  args.push("--witness-dir", dirname(fixture.wtns), "--insecure-no-auth");
  // The known-answer canary on the grid emulator (the GPUs are fake-nvml's), failing on the
  // last GPU, which then takes no job: the canary panels have a pass and a failure to show.
  // A prover built before the canary command leaves them without data.
  const withCanary = await canarySupported(proverPath);
  if (withCanary) {
    args.push("--canary-emulated", "--canary-binary", proverPath, "--canary-memory-share", "0");
    args.push("--canary-fault", `${uuidOf(GPUS - 1)}=ntt`);
  }
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: packageRoot(),
    env: { ...process.env, PROOFWATCH_LOG_LEVEL: "error" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  try {
    await until(
      async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined),
      "the prover to listen",
      30_000,
    );
    // Each GPU takes work once its canary passed: wait for all of them to be decided, or on a
    // loaded machine the first GPU through could prove every job before the others pass.
    if (withCanary) {
      await until(
        async () => {
          const list = await workers(url);
          const decided = list.every((w) =>
            w.uuid === uuidOf(GPUS - 1) ? w.canary === "failed" : w.canary === null,
          );
          return list.length === GPUS && decided ? true : undefined;
        },
        "every GPU's canary to pass, and the last one's to fail",
        60_000,
      );
    }
    // Two proofs per GPU (idle workers take jobs least recently used first, so every GPU
    // whose canary passed proves) and one job with a bad witness, which fails on three GPUs: phase times, proofs
    // and failures for every GPU the dashboards select.
    const good = Array.from({ length: GPUS * 2 }, () =>
      submitJob(url, { circuit: "multiplier", witnessFile: fixture.wtns }),
    );
    const bad = submitJob(url, {
      circuit: "multiplier",
      witness: Buffer.from("not a witness file").toString("base64"),
    });
    const jobs = await Promise.all([...good, bad].map(async (id) => finished(url, await id)));
    // Say why here rather than as "no data" for every prover query a minute later (a daemon
    // missing or being rebuilt fails every run).
    const unproved = jobs.slice(0, good.length).filter((job) => job.state !== "proved");
    if (unproved.length > 0) {
      const why = unproved.map((job) => `${job.id}: ${job.failure?.reason} ${job.failure?.error}`);
      throw new Error(`prover jobs failed:\n${why.join("\n")}`);
    }
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return { url, stop };
}

// --- all of it --------------------------------------------------------------------------

export interface Fleet {
  prometheus: RunningPrometheus;
  exporter: TestExporter;
  verifier: RunningVerifier;
  /** The exporter's scrape target: what `$host` selects. */
  instance: string;
  stop(): Promise<void>;
}

export async function startFleet(): Promise<Fleet> {
  const tmp = await makeTempDir("dashboards");
  // Which pod holds which GPU, from a stand-in for the kubelet's pod-resources socket
  // (test/exporter/kubelet-stand-in.ts): two provers, one of them on the faulty GPU.
  const kubelet = await KubeletStandIn.listen(join(tmp.dir, "kubelet.sock"));
  kubelet.answer = [0, FAULTY].map((index) => ({
    name: `prover-${index}`,
    namespace: "zk",
    containers: [
      {
        name: "prover",
        devices: [{ resourceName: "nvidia.com/gpu", deviceIds: [uuidOf(index)] }],
      },
    ],
  }));
  const exporter = await startTestExporter(new ScenarioFile(scenario), {
    podResources: { socket: join(tmp.dir, "kubelet.sock"), intervalMs: 1000 },
  });
  // Side by side: the prover's start-up and proofs take a few seconds. Neither is left running
  // when the other fails.
  const [verifierStart, proverStart] = await Promise.allSettled([
    startVerifierWithProofs(tmp.dir),
    startProver(tmp.dir),
  ]);
  if (verifierStart.status === "rejected" || proverStart.status === "rejected") {
    if (verifierStart.status === "fulfilled") await verifierStart.value.verifier.close();
    if (proverStart.status === "fulfilled") await proverStart.value.stop();
    await exporter.close();
    kubelet.close();
    await tmp.cleanup();
    const reasons = [verifierStart, proverStart].flatMap((start) =>
      start.status === "rejected" ? [start.reason] : [],
    );
    throw reasons[0];
  }
  const { verifier, proofs } = verifierStart.value;
  const prover = proverStart.value;
  const ws = workspace();
  const quarantine = await startQuarantine(ws);
  const instance = `127.0.0.1:${exporter.address.port}`;

  // The faulty GPU is quarantined; another one was, and was released again.
  for (const index of [FAULTY, 2]) {
    const answer = await post(
      `${quarantine.url}/v1/alertmanager`,
      payload([alert({ uuid: uuidOf(index), gpu: String(index), instance, host: "127.0.0.1" })]),
    );
    if (answer.status !== 200) throw new Error(`quarantine answered ${answer.status}`);
  }
  const released = await post(`${quarantine.url}/v1/quarantine/${uuidOf(2)}/release`, {
    reason: "dashboards test",
  });
  if (released.status !== 200) throw new Error(`release answered ${released.status}`);

  const rulesDir = join(packageRoot(), "alerts");
  const prometheus = await startPrometheus({
    targets: [
      instance,
      new URL(prover.url).host,
      new URL(verifier.url).host,
      new URL(quarantine.url).host,
    ],
    ruleFiles: readdirSync(rulesDir)
      .filter((name) => name.endsWith(".rules.yml"))
      .map((name) => join(rulesDir, name)),
  });
  await submitProofs(verifier.url, proofs);

  return {
    prometheus,
    exporter,
    verifier,
    instance,
    async stop() {
      await prometheus.stop();
      await prover.stop();
      await verifier.close();
      await quarantine.close();
      await exporter.close();
      kubelet.close();
      ws.remove();
      await tmp.cleanup();
    },
  };
}
