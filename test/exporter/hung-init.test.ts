// A driver that hangs while the exporter initialises NVML or enumerates its GPUs: the
// exporter starts at once, answers /healthz and /metrics within the scrape deadline with NVML
// reported down, makes no second call behind the hung one, and serves the GPUs once the
// driver answers. (fake-nvml's timed delay stands for the hang, so that a build which makes
// these calls on the JS thread fails here rather than hanging the suite.)
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Exposition, find, sampleValue } from "../../demo/src/exposition.js";
import { loadNvml } from "../../native/index.js";
import { until } from "../helpers/until.js";
import {
  fullGpu,
  labelsOfGpu,
  ScenarioFile,
  startTestExporter,
  type TestExporter,
} from "./harness.js";

const DEADLINE_MS = 400;
const HANG_MS = 2500;
/** What an answer that does not wait on the driver may take on a busy 2-core machine. */
const QUICK_MS = 300;
/** Longer than any pause of a JS thread that never waits on the driver, well short of HANG_MS. */
const BLOCKED_MS = 1000;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describe.each([
  { hung: "nvmlInit_v2", binding: "initAsync" as const },
  { hung: "nvmlDeviceGetCount_v2", binding: "deviceCountAsync" as const },
])("the exporter while $hung hangs", ({ hung, binding }) => {
  let exporter: TestExporter;
  let startMs: number;
  let hangEnds: number;
  const nvml = loadNvml();
  const calls = vi.spyOn(nvml, binding);
  // The JS thread's longest stall, whenever it happens, request or not.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });

  beforeAll(async () => {
    const scenario = new ScenarioFile({
      driverVersion: "550.54.15",
      devices: [fullGpu(0), fullGpu(1)],
      delays: { [hung]: HANG_MS },
      // fake-nvml delivers an event once per process: one id per case.
      events: [{ id: `boot-${hung}`, device: 1, xid: 43 }],
    });
    calls.mockClear();
    loopDelay.enable();
    const started = Date.now();
    hangEnds = started + HANG_MS;
    exporter = await startTestExporter(scenario, { scrapeDeadlineMs: DEADLINE_MS });
    startMs = Date.now() - started;
  });
  afterAll(async () => {
    loopDelay.disable();
    await exporter?.close();
    // The next describe's exporter initialises NVML afresh.
    for (let i = 0; i < 4; i++) nvml.shutdown();
  });

  it("starts at once", () => {
    expect(startMs).toBeLessThan(QUICK_MS);
  });

  it("answers /healthz at once and /metrics within the deadline, with NVML down", async () => {
    const health = await timed(() => fetch(`${exporter.url}/healthz`));
    expect(health.value.status).toBe(200);
    expect(health.ms).toBeLessThan(QUICK_MS);

    const first = await timed(() => exporter.scrape());
    expect(first.ms).toBeLessThan(DEADLINE_MS + QUICK_MS);
    expect(sampleValue(first.value, "proofwatch_exporter_nvml_up")).toBe(0);
    expect(find(first.value, "proofwatch_gpu_up")).toHaveLength(0);
    expect(find(first.value, "proofwatch_exporter_gpus_detected")).toHaveLength(0);
    expect(sampleValue(first.value, "proofwatch_exporter_build_info")).toBe(1);

    // The deadline has passed once: later scrapes no longer wait for the hung call.
    const second = await timed(() => exporter.scrape());
    expect(second.ms).toBeLessThan(QUICK_MS);
    expect(sampleValue(second.value, "proofwatch_exporter_nvml_up")).toBe(0);
    expect(Date.now()).toBeLessThan(hangEnds);
  });

  it("makes no second call while the first still hangs", async () => {
    for (let i = 0; i < 3; i++) await exporter.scrape();
    expect(Date.now()).toBeLessThan(hangEnds);
    expect(calls).toHaveBeenCalledTimes(1);
  });

  it("serves the GPUs once the driver answers, answering quickly meanwhile", async () => {
    const slowest = { healthz: 0, metrics: 0 };
    const metrics = await until<Exposition>(
      async () => {
        const health = await timed(() => fetch(`${exporter.url}/healthz`));
        slowest.healthz = Math.max(slowest.healthz, health.ms);
        const scrape = await timed(() => exporter.scrape());
        slowest.metrics = Math.max(slowest.metrics, scrape.ms);
        return sampleValue(scrape.value, "proofwatch_exporter_nvml_up") === 1
          ? scrape.value
          : undefined;
      },
      "nvml_up 1",
      HANG_MS + 5000,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(hangEnds);
    expect(sampleValue(metrics, "proofwatch_exporter_gpus_detected")).toBe(2);
    for (const gpu of [0, 1]) {
      expect(sampleValue(metrics, "proofwatch_gpu_up", labelsOfGpu(gpu))).toBe(1);
      expect(sampleValue(metrics, "proofwatch_gpu_collection_success", labelsOfGpu(gpu))).toBe(1);
    }
    expect(sampleValue(metrics, "proofwatch_gpu_temperature_celsius", labelsOfGpu(1))).toBe(62);
    expect(calls).toHaveBeenCalledTimes(1);
    expect(slowest.healthz).toBeLessThan(QUICK_MS);
    expect(slowest.metrics).toBeLessThan(DEADLINE_MS + QUICK_MS);
  });

  it("then registers for XID events, which enumerates the GPUs again, off the JS thread too", async () => {
    // With the count still delayed, the registration waits on the driver once more.
    const xid = { ...labelsOfGpu(1), xid: "43" };
    await until(
      async () => sampleValue(await exporter.scrape(), "proofwatch_gpu_xid_errors_total", xid),
      "the XID event",
      HANG_MS + 5000,
    );
    expect(loopDelay.max / 1e6).toBeLessThan(BLOCKED_MS);
  });
});
