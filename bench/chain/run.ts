// Chain benchmark: time from a fault to the GPU's quarantine, through the whole suite on
// loopback (demo/src/suite.ts: exporter, prover service, verifier, quarantine webhook,
// Prometheus with the shipped rules, Alertmanager with the shipped routes), for the hardware
// path (an uncorrected ECC error appears in fake-nvml) and the invalid-proof path (the prover's
// fault injection makes a GPU's proofs fail verification). Both faults are injected at once on
// two GPUs, at a random phase of the scrape interval, in a fresh suite per trial.
// Not part of the test suite. See README.md.
//
//   npx tsx bench/chain/run.ts [--trials 3] [--intervals 15s,2s] [--json FILE] [--no-record]
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseDuration } from "../../common/duration.js";
import { setLogLevel } from "../../common/log.js";
import { packageRoot } from "../../common/package-root.js";
import { startFeeder } from "../../demo/src/feeder.js";
import { uuidOf, writeFleet } from "../../demo/src/fleet.js";
import {
  getJson,
  injectInvalidProofs,
  quarantineList,
  type Suite,
  startSuite,
  workers,
} from "../../demo/src/suite.js";

const GPUS = 4;
const HARDWARE = 2;
const INVALID = 1;
const TARGET_SECONDS = 30;
/** The prover's own default for reading the quarantine list (docs/prover-service.md). */
const SHIPPED_LIST_INTERVAL = "2s";
const SHIPPED_LIST_INTERVAL_TEXT = "2 s";

type Path = "hardware" | "invalid-proof";

interface Trial {
  interval: string;
  /** Seconds from the fault to the webhook listing the GPU, and to the prover draining it. */
  quarantined: Record<Path, number>;
  drained: Record<Path, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function trial(interval: string, listInterval: string): Promise<Trial> {
  const dir = mkdtempSync(join(tmpdir(), "proofwatch-bench-chain-"));
  const scenario = join(dir, "fleet.json");
  writeFleet(scenario, GPUS);
  let suite: Suite | undefined;
  const feederStop: Array<() => Promise<void>> = [];
  try {
    suite = await startSuite({
      scenario,
      scrapeInterval: interval,
      evaluationInterval: interval,
      quarantineInterval: listInterval,
    });
    const running = suite;
    const feeder = startFeeder(running, 4, "bench");
    feederStop.push(() => feeder.stop());
    // Warm: every GPU proved and checked, and Prometheus has scraped the healthy fleet.
    const warmUntil = Date.now() + 120_000;
    for (;;) {
      const { gpus } = await getJson<{ gpus: Array<{ counts: { valid: number } }> }>(
        `${running.urls.verifier}/v1/gpus`,
      );
      if (gpus.length === GPUS && gpus.every((gpu) => gpu.counts.valid > 0)) break;
      if (Date.now() > warmUntil) throw new Error("the fleet did not warm up in 120 s");
      await sleep(200);
    }
    const intervalMs = parseDuration(interval);
    // Two scrapes of the healthy fleet, then a random phase against the scrape schedule.
    await sleep(2 * intervalMs + Math.random() * intervalMs);

    const faultAt = Date.now();
    writeFleet(scenario, GPUS, {
      [HARDWARE]: { eccUncorrectedVolatile: 1, eccUncorrectedAggregate: 1 },
    });
    await injectInvalidProofs(running, uuidOf(INVALID));

    const paths: Record<Path, string> = {
      hardware: uuidOf(HARDWARE),
      "invalid-proof": uuidOf(INVALID),
    };
    const quarantined: Partial<Record<Path, number>> = {};
    const drained: Partial<Record<Path, number>> = {};
    const deadline = faultAt + 4 * intervalMs + 90_000;
    while (Object.keys(drained).length < 2 || Object.keys(quarantined).length < 2) {
      if (Date.now() > deadline) {
        throw new Error(
          `no quarantine within ${(deadline - faultAt) / 1000} s: ${JSON.stringify({ quarantined, drained })}`,
        );
      }
      const [list, workerList] = await Promise.all([quarantineList(running), workers(running)]);
      const now = (Date.now() - faultAt) / 1000;
      for (const [path, uuid] of Object.entries(paths) as Array<[Path, string]>) {
        if (quarantined[path] === undefined && list.gpus.some((gpu) => gpu.uuid === uuid)) {
          quarantined[path] = now;
        }
        if (
          drained[path] === undefined &&
          workerList.some((w) => w.uuid === uuid && w.quarantined)
        ) {
          drained[path] = now;
        }
      }
      await sleep(100);
    }
    const others = (await quarantineList(running)).gpus.filter(
      (gpu) => !Object.values(paths).includes(gpu.uuid),
    );
    if (others.length > 0) throw new Error(`healthy GPUs quarantined: ${JSON.stringify(others)}`);
    return {
      interval,
      quarantined: quarantined as Record<Path, number>,
      drained: drained as Record<Path, number>,
    };
  } finally {
    for (const stop of feederStop) await stop();
    await suite?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const seconds = (n: number) => `${n.toFixed(1)} s`;

function summary(trials: Trial[], intervals: string[]) {
  return intervals.flatMap((interval) => {
    const runs = trials.filter((t) => t.interval === interval);
    return (["hardware", "invalid-proof"] as const).map((path) => {
      const q = runs.map((t) => t.quarantined[path]);
      const d = runs.map((t) => t.drained[path]);
      return {
        interval,
        path,
        trials: runs.length,
        min: Math.min(...q),
        median: median(q),
        max: Math.max(...q),
        drainedMedian: median(d),
        drainedMax: Math.max(...d),
      };
    });
  });
}

/** A Markdown table with padded columns, as biome formats Markdown (bench/RESULTS.md is checked). */
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(3, title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: "string", default: "3" },
      intervals: { type: "string", default: "15s,2s" },
      json: { type: "string" },
      "no-record": { type: "boolean", default: false },
    },
  });
  // The services log into the suite's workspace; this process only prints results.
  setLogLevel("warn");
  const trials = Number(values.trials);
  const intervals = values.intervals.split(",").map((text) => text.trim());
  for (const interval of intervals) parseDuration(interval);

  const results: Trial[] = [];
  for (const interval of intervals) {
    const listInterval = parseDuration(interval) >= 15_000 ? SHIPPED_LIST_INTERVAL : "1s";
    for (let i = 1; i <= trials; i++) {
      const result = await trial(interval, listInterval);
      results.push(result);
      process.stdout.write(
        `${interval} trial ${i}/${trials}: hardware ${seconds(result.quarantined.hardware)} ` +
          `(drained ${seconds(result.drained.hardware)}), invalid proofs ${seconds(result.quarantined["invalid-proof"])} ` +
          `(drained ${seconds(result.drained["invalid-proof"])})\n`,
      );
    }
  }

  const rows = summary(results, intervals);
  const table = markdownTable(
    [
      "scrape = evaluation interval",
      "path",
      "trials",
      "fault → quarantined: min / median / max",
      "fault → prover drained: median / max",
      "target < 30 s at 15 s",
    ],
    rows.map((row) => [
      row.interval,
      row.path,
      String(row.trials),
      `${seconds(row.min)} / ${seconds(row.median)} / ${seconds(row.max)}`,
      `${seconds(row.drainedMedian)} / ${seconds(row.drainedMax)}`,
      parseDuration(row.interval) !== 15_000 ? "-" : row.max < TARGET_SECONDS ? "met" : "MISSED",
    ]),
  );
  process.stdout.write(`\n${table}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ results, rows }, null, 2)}\n`);
  if (values["no-record"]) return;

  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const section = [
    "",
    `## Fault to quarantine (bench/chain), ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    "",
    `2-core CI-class VM, no GPU, fake-nvml (${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB).`,
    `\`npm run bench:chain -- --trials ${trials} --intervals ${intervals.join(",")}\`: a fresh suite per trial`,
    "(bench/chain/README.md), both faults injected at once at a random phase of the scrape",
    "interval. Quarantined = the webhook lists the GPU; drained = the prover service gives it no",
    `more work (it reads the list every ${SHIPPED_LIST_INTERVAL_TEXT}, its shipped default, at the 15 s interval, and every`,
    "1 s at shorter ones). Alertmanager routes as shipped (`group_wait: 0s` for quarantine).",
    "The bound is about two intervals (one until the fault is in a sample, one until a rule sees",
    `it): 30 s at 15 s; ${trials} trials sample the phase, they do not find the worst case.`,
    "",
    table,
    "",
  ].join("\n");
  const file = join(packageRoot(), "bench/RESULTS.md");
  if (!existsSync(file)) writeFileSync(file, "# Benchmark results\n");
  appendFileSync(file, section);
  process.stdout.write(`\nappended to ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/chain: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
