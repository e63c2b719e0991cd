// The whole chain through real processes: fake-nvml GPUs, the exporter, the prover service,
// the verifier, the quarantine webhook (SQLite), Prometheus with the shipped rules and
// Alertmanager with the shipped routes, at 1-second scrape and evaluation intervals. One GPU
// reports an uncorrected ECC error, another starts making invalid proofs: both must end
// quarantined, nothing else, no proof job lost, the healthy GPUs still proving valid proofs,
// and the audit log telling what happened.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERTMANAGER_BINARY } from "../../demo/src/alertmanager.js";
import { type Feeder, startFeeder } from "../../demo/src/feeder.js";
import { PROMETHEUS_BINARY } from "../../demo/src/prometheus.js";
import {
  alertmanagerConfig,
  getJson,
  injectInvalidProofs,
  quarantineList,
  type Suite,
  startSuite,
  workers,
} from "../../demo/src/suite.js";
import { exec } from "../helpers/exec.js";
import { auditLog, until, uuidOf, writeFleet } from "./helpers.js";

const GPUS = 4;
const HARDWARE = 2;
const INVALID = 1;
const HEALTHY = [0, 3];

interface Job {
  id: string;
  state: string;
  submittedAt: string;
  result: { uuid: string } | null;
  attempts: Array<{ uuid: string; result?: string; reason?: string }>;
  verifier: { state: string };
}

interface GpuSummary {
  uuid: string;
  counts: { valid: number; invalid: number; malformed: number; pending: number };
}

const gpuSummaries = async (suite: Suite) =>
  (await getJson<{ gpus: GpuSummary[] }>(`${suite.urls.verifier}/v1/gpus`)).gpus;

const jobs = async (suite: Suite) =>
  (await getJson<{ jobs: Job[] }>(`${suite.urls.prover}/v1/jobs?limit=100000`)).jobs;

describe("fault to quarantine, end to end", () => {
  let dir: string;
  let scenario: string;
  let suite: Suite;
  let feeder: Feeder;

  beforeAll(async () => {
    for (const binary of [PROMETHEUS_BINARY, ALERTMANAGER_BINARY]) {
      if (!existsSync(binary)) throw new Error(`${binary} missing: bash scripts/setup.sh`);
    }
    dir = mkdtempSync(join(tmpdir(), "proofwatch-e2e-"));
    scenario = join(dir, "fleet.json");
    writeFleet(scenario, GPUS);
    suite = await startSuite({
      scenario,
      scrapeInterval: "1s",
      evaluationInterval: "1s",
      quarantineInterval: "500ms",
    });
    feeder = startFeeder(suite, 4, "e2e");
    // Every GPU has proved and been checked before anything goes wrong.
    await until(async () => {
      const gpus = await gpuSummaries(suite);
      return gpus.length === GPUS && gpus.every((gpu) => gpu.counts.valid > 0) ? true : undefined;
    }, "a valid proof from every GPU");
  });
  afterAll(async () => {
    await feeder?.stop();
    await suite?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("routes quarantine alerts to this run's webhook with the shipped routes", async () => {
    const config = join(dir, "alertmanager.yml");
    writeFileSync(
      config,
      alertmanagerConfig(suite.urls.quarantine as string, suite.credentials.alertmanager.file),
    );
    const amtool = process.env.AMTOOL_BINARY ?? "/usr/bin/amtool";
    const check = await exec(amtool, ["check-config", config]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const routes = await exec(amtool, [
      "config",
      "routes",
      "test",
      `--config.file=${config}`,
      "proofwatch_action=quarantine",
      "severity=critical",
    ]);
    expect(routes.stdout.trim().split(/[\s,]+/)).toEqual([
      "proofwatch-quarantine",
      "proofwatch-page",
    ]);
  });

  it("quarantines the GPU with ECC errors and the one making invalid proofs, and only them", {
    timeout: 120_000,
  }, async () => {
    // Act: both faults at once.
    const faultAt = Date.now();
    writeFleet(scenario, GPUS, {
      [HARDWARE]: { eccUncorrectedVolatile: 1, eccUncorrectedAggregate: 1 },
    });
    await injectInvalidProofs(suite, uuidOf(INVALID));

    const list = await until(async () => {
      const current = await quarantineList(suite);
      return current.gpus.length >= 2 ? current : undefined;
    }, "two GPUs quarantined");
    await until(async () => {
      const out = (await workers(suite)).filter((worker) => worker.quarantined);
      return out.length >= 2 ? true : undefined;
    }, "the prover taking both out of its schedule");
    const drainedAt = Date.now();
    const validBefore = new Map((await gpuSummaries(suite)).map((g) => [g.uuid, g.counts.valid]));

    // The healthy GPUs carry on with the whole load for a while; then the feeder stops and
    // the last jobs drain through the prover and the verifier.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await feeder.stop();
    const all = await until(async () => {
      const current = await jobs(suite);
      const settled = current.every(
        (job) =>
          (job.state === "proved" || job.state === "failed") && job.verifier.state !== "pending",
      );
      return settled && current.length >= feeder.submitted.length ? current : undefined;
    }, "every job proved and delivered to the verifier");
    const gpus = await until(async () => {
      const current = await gpuSummaries(suite);
      return current.every((g) => g.counts.pending === 0) ? current : undefined;
    }, "every proof checked");
    const byUuid = new Map(gpus.map((g) => [g.uuid, g.counts]));

    // Assert: exactly the two faulty GPUs are out, each for its own reason.
    expect(list.gpus.map((gpu) => gpu.uuid).sort()).toEqual(
      [uuidOf(INVALID), uuidOf(HARDWARE)].sort(),
    );
    expect(list.hosts).toEqual([]);
    const reasons = Object.fromEntries(list.gpus.map((gpu) => [gpu.uuid, gpu.reason]));
    expect(reasons[uuidOf(INVALID)]).toBe("ProofwatchGpuInvalidProofs");
    expect(reasons[uuidOf(HARDWARE)]).toBe("ProofwatchGpuUncorrectedEccErrors");
    expect(list.gpus.every((gpu) => gpu.host === "127.0.0.1")).toBe(true);
    const finalList = await quarantineList(suite);
    expect(finalList.gpus).toHaveLength(2);

    // No job lost: every accepted job was proved once and its proof reached the verifier.
    expect(feeder.errors.count).toBe(0);
    const ids = new Set(all.map((job) => job.id));
    expect(feeder.submitted.filter((id) => !ids.has(id))).toEqual([]);
    expect(all.filter((job) => job.state !== "proved").map((job) => job.id)).toEqual([]);
    expect(all.filter((job) => job.verifier.state !== "accepted").map((job) => job.id)).toEqual([]);

    // The healthy GPUs kept proving, and every proof of theirs is valid.
    for (const index of HEALTHY) {
      const counts = byUuid.get(uuidOf(index));
      expect(counts?.invalid, `GPU ${index}`).toBe(0);
      expect(counts?.malformed, `GPU ${index}`).toBe(0);
      expect(counts?.valid ?? 0, `GPU ${index}`).toBeGreaterThan(
        (validBefore.get(uuidOf(index)) ?? 0) + 5,
      );
    }
    expect(byUuid.get(uuidOf(INVALID))?.invalid ?? 0).toBeGreaterThan(0);
    // Work submitted after both were drained went to the healthy GPUs only.
    const late = all.filter((job) => Date.parse(job.submittedAt) > drainedAt + 1_000);
    expect(late.length).toBeGreaterThan(10);
    expect(
      late.filter((job) => !HEALTHY.map(uuidOf).includes(job.result?.uuid ?? "")).map((j) => j.id),
    ).toEqual([]);

    // The audit log tells the story: one quarantine per faulty GPU, decided on Alertmanager's
    // word, after the fault, and nothing suppressed or failed.
    const audit = await auditLog(suite.urls.quarantine as string, suite.credentials.operator.token);
    const quarantines = audit.filter((entry) => entry.event === "quarantine");
    expect(
      quarantines.map((entry) => ({
        actor: entry.actor,
        uuid: entry.uuid,
        host: entry.host,
        alertname: entry.detail?.alertname,
      })),
    ).toEqual(
      expect.arrayContaining([
        {
          actor: "alertmanager",
          uuid: uuidOf(INVALID),
          host: "127.0.0.1",
          alertname: "ProofwatchGpuInvalidProofs",
        },
        {
          actor: "alertmanager",
          uuid: uuidOf(HARDWARE),
          host: "127.0.0.1",
          alertname: "ProofwatchGpuUncorrectedEccErrors",
        },
      ]),
    );
    expect(quarantines).toHaveLength(2);
    expect(quarantines.every((entry) => Date.parse(entry.at) >= faultAt - 1_000)).toBe(true);
    expect(
      audit.filter((entry) =>
        ["suppressed", "action_failed", "breaker_tripped"].includes(entry.event),
      ),
    ).toEqual([]);
  });
});
