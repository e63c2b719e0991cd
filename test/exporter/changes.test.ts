import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { find, sampleValue } from "../../demo/src/exposition.js";
import { eventually } from "../helpers/prometheus.js";
import {
  fullGpu,
  labelsOfGpu,
  ScenarioFile,
  startTestExporter,
  type TestExporter,
} from "./harness.js";

describe("events and a scenario changed mid-run", () => {
  let exporter: TestExporter;
  let scenario: ScenarioFile;
  const gpu0 = labelsOfGpu(0);
  const gpu1 = labelsOfGpu(1);
  const base = () => ({ driverVersion: "550.54.15", devices: [fullGpu(0), fullGpu(1)] });

  beforeAll(async () => {
    scenario = new ScenarioFile({
      ...base(),
      events: [
        { id: "a", device: 0, xid: 48, atSeconds: 0 },
        { id: "b", device: 0, xid: 48, atSeconds: 0 },
        { id: "c", device: 1, xid: 94, atSeconds: 0 },
      ],
    });
    exporter = await startTestExporter(scenario);
  });
  afterAll(() => exporter?.close());

  it("counts queued XID events by GPU and code", async () => {
    const metrics = await eventually(async () => {
      const scraped = await exporter.scrape();
      return find(scraped, "proofwatch_gpu_xid_errors_total").length === 2 ? scraped : undefined;
    });
    expect(sampleValue(metrics, "proofwatch_gpu_xid_errors_total", { ...gpu0, xid: "48" })).toBe(2);
    expect(sampleValue(metrics, "proofwatch_gpu_xid_errors_total", { ...gpu1, xid: "94" })).toBe(1);
  });

  it("shows a changed scenario on the next scrape, and counts a new event once", async () => {
    const changed = base();
    const gpu = changed.devices[1] as { fields: Record<string, unknown> };
    gpu.fields = { ...gpu.fields, temperatureGpuCelsius: 91, eccUncorrectedVolatile: 5 };
    scenario.write({
      ...changed,
      events: [
        { id: "a", device: 0, xid: 48, atSeconds: 0 },
        { id: "b", device: 0, xid: 48, atSeconds: 0 },
        { id: "c", device: 1, xid: 94, atSeconds: 0 },
        { id: "d", device: 1, xid: 79, atSeconds: 0 },
      ],
    });

    const metrics = await eventually(async () => {
      const scraped = await exporter.scrape();
      return sampleValue(scraped, "proofwatch_gpu_temperature_celsius", gpu1) === 91 &&
        find(scraped, "proofwatch_gpu_xid_errors_total", { xid: "79" }).length === 1
        ? scraped
        : undefined;
    }, 5000);

    expect(
      sampleValue(metrics, "proofwatch_gpu_ecc_errors_total", {
        ...gpu1,
        type: "uncorrected",
        counter: "volatile",
      }),
    ).toBe(5);
    expect(sampleValue(metrics, "proofwatch_gpu_xid_errors_total", { ...gpu1, xid: "79" })).toBe(1);
    // Old events are not delivered again by the re-read.
    expect(sampleValue(metrics, "proofwatch_gpu_xid_errors_total", { ...gpu0, xid: "48" })).toBe(2);
    expect(sampleValue(metrics, "proofwatch_gpu_temperature_celsius", gpu0)).toBe(61);
  });

  it("follows counters that grow at a set rate", async () => {
    const growing = base();
    const gpu = growing.devices[0] as { fields: Record<string, unknown> };
    gpu.fields = { ...gpu.fields, eccCorrectedVolatile: { start: 100, perSecond: 50 } };
    scenario.write(growing);
    const read = async () =>
      sampleValue(await exporter.scrape(), "proofwatch_gpu_ecc_errors_total", {
        ...gpu0,
        type: "corrected",
        counter: "volatile",
      });
    const first = await eventually(async () => ((await read()) >= 100 ? read() : undefined), 5000);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await read()).toBeGreaterThan(first);
  });
});
