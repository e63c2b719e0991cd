import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleValue } from "../../demo/src/exposition.js";
import {
  fullGpu,
  labelsOfGpu,
  ScenarioFile,
  startTestExporter,
  type TestExporter,
} from "./harness.js";

const DEADLINE_MS = 400;
const HUNG_CALL_MS = 3000;

describe("a lost GPU and a hung driver call", () => {
  let exporter: TestExporter;
  const healthy = labelsOfGpu(0);
  const lost = labelsOfGpu(1);
  const hung = labelsOfGpu(2);

  beforeAll(async () => {
    const scenario = new ScenarioFile({
      driverVersion: "550.54.15",
      devices: [
        fullGpu(0),
        // Seen once (so its UUID is known), then lost from t = 1 s on.
        { ...fullGpu(1), lostAfterSeconds: 1 },
        { ...fullGpu(2), delays: { nvmlDeviceGetTemperature: HUNG_CALL_MS } },
      ],
      events: [{ id: "before-loss", device: 1, xid: 79, atSeconds: 0 }],
    });
    exporter = await startTestExporter(scenario, { scrapeDeadlineMs: DEADLINE_MS });
  });
  afterAll(() => exporter?.close());

  it("cuts a hung call at the deadline: the scrape answers in time, the others keep their values", async () => {
    const started = Date.now();
    const metrics = await exporter.scrape();
    const elapsed = Date.now() - started;

    expect(elapsed).toBeLessThan(HUNG_CALL_MS);
    expect(sampleValue(metrics, "proofwatch_gpu_up", hung)).toBe(1);
    expect(sampleValue(metrics, "proofwatch_gpu_collection_success", hung)).toBe(0);
    // Late is not lost: no values for this scrape, but no quarantine-worthy `up 0` either.
    const hungSeries = metrics.samples
      .filter((sample) => sample.labels.uuid === hung.uuid)
      .map((sample) => sample.name);
    expect(hungSeries.sort()).toEqual(["proofwatch_gpu_collection_success", "proofwatch_gpu_up"]);
    expect(sampleValue(metrics, "proofwatch_gpu_temperature_celsius", healthy)).toBe(61);
    expect(sampleValue(metrics, "proofwatch_gpu_collection_success", healthy)).toBe(1);
  });

  it("does not queue more reads behind a call that is still stuck", async () => {
    const started = Date.now();
    const metrics = await exporter.scrape();
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 500);
    expect(sampleValue(metrics, "proofwatch_gpu_collection_success", hung)).toBe(0);
    expect(sampleValue(metrics, "proofwatch_gpu_memory_total_bytes", healthy)).toBe(85_520_809_984);
  });

  it("reports a lost GPU as up 0 with no value series, never stale numbers", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const metrics = await exporter.scrape();

    expect(sampleValue(metrics, "proofwatch_gpu_up", lost)).toBe(0);
    expect(sampleValue(metrics, "proofwatch_gpu_collection_success", lost)).toBe(0);
    const valueSeries = metrics.samples.filter(
      (sample) =>
        sample.labels.uuid === lost.uuid &&
        ![
          "proofwatch_gpu_up",
          "proofwatch_gpu_collection_success",
          "proofwatch_gpu_xid_errors_total",
        ].includes(sample.name),
    );
    expect(valueSeries).toEqual([]);
    // The XID that came before the loss stays: it tells how the GPU was lost.
    expect(sampleValue(metrics, "proofwatch_gpu_xid_errors_total", { ...lost, xid: "79" })).toBe(1);
    expect(sampleValue(metrics, "proofwatch_gpu_up", healthy)).toBe(1);
  });
});
