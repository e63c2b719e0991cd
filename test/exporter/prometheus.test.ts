import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  promtoolCheckMetrics,
  type RunningPrometheus,
  startPrometheus,
} from "../helpers/prometheus.js";
import { fullGpu, ScenarioFile, startTestExporter, type TestExporter } from "./harness.js";

describe("the exporter as Prometheus sees it", () => {
  let exporter: TestExporter;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    const scenario = new ScenarioFile({ devices: [fullGpu(0), fullGpu(1)] });
    exporter = await startTestExporter(scenario);
    prometheus = await startPrometheus({
      targets: [`127.0.0.1:${exporter.address.port}`],
      scrapeInterval: "1s",
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.close();
  });

  it("is scraped by a real Prometheus, whose API returns our values", async () => {
    const result = await eventually(
      async () => {
        const vector = await prometheus.query('proofwatch_gpu_temperature_celsius{gpu="1"}');
        return vector.length === 1 ? vector : undefined;
      },
      30_000,
      "Prometheus to scrape the exporter",
    );
    expect(result[0]?.metric.uuid).toBe("GPU-00000000-0000-0000-0000-000000000001");
    expect(Number(result[0]?.value[1])).toBe(62);
    const up = await prometheus.query('up{job="proofwatch"}');
    expect(up.map((sample) => sample.value[1])).toEqual(["1"]);
  });

  it("passes promtool check metrics on a saved scrape", async () => {
    const check = promtoolCheckMetrics(await exporter.scrapeText());
    expect(check.output).toBe("");
    expect(check.status).toBe(0);
  });
});
