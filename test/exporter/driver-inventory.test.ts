// The driver, CUDA and firmware inventory: proofwatch_driver_info per host and the VBIOS and
// InfoROM labels of proofwatch_gpu_info, through the real addon on fake-nvml, from one host of
// the shipped mixed-driver fleet and from a driver that tells none of them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { packageRoot } from "../../common/package-root.js";
import { find, sampleValue } from "../../demo/src/exposition.js";
import { eventually } from "../helpers/prometheus.js";
import { ScenarioFile, startTestExporter, type TestExporter } from "./harness.js";

const shipped = (name: string) =>
  JSON.parse(
    readFileSync(join(packageRoot(), "native/fake-nvml/scenarios", name), "utf8"),
  ) as Record<string, unknown>;

async function scrapeWhenUp(exporter: TestExporter) {
  return eventually(async () => {
    const metrics = await exporter.scrape();
    return find(metrics, "proofwatch_gpu_info").length > 0 ? metrics : undefined;
  });
}

describe("driver and firmware inventory", () => {
  let exporter: TestExporter | undefined;
  afterEach(async () => {
    await exporter?.close();
    exporter = undefined;
  });

  it("names the host's driver, its CUDA version and each board's firmware", async () => {
    exporter = await startTestExporter(new ScenarioFile(shipped("mixed-fleet-b.json")));
    const metrics = await scrapeWhenUp(exporter);

    const driver = find(metrics, "proofwatch_driver_info");
    expect(driver.map((s) => [s.labels, s.value])).toEqual([
      [{ driver_version: "535.161.08", cuda_driver_version: "12.2" }, 1],
    ]);
    const info = find(metrics, "proofwatch_gpu_info");
    expect(info).toHaveLength(4);
    expect(info.map((s) => s.labels.vbios_version)).toEqual([
      "96.00.74.00.0D",
      "96.00.74.00.0D",
      "96.00.74.00.0D",
      "96.00.99.00.01",
    ]);
    for (const sample of info) {
      expect(sample.labels).toMatchObject({
        name: "NVIDIA H100 80GB HBM3",
        driver_version: "535.161.08",
        inforom_version: "G520.0200.00.05",
      });
    }
  });

  it("leaves a label empty where the driver or board cannot tell, and reads the rest", async () => {
    exporter = await startTestExporter(
      new ScenarioFile({
        driverVersion: "470.239.06",
        cudaDriverVersion: "FUNCTION_NOT_FOUND",
        returns: {
          nvmlDeviceGetVbiosVersion: "NOT_SUPPORTED",
          nvmlDeviceGetInforomImageVersion: "CORRUPTED_INFOROM",
        },
        devices: [{ count: 2, fields: { temperatureGpuCelsius: 55 } }],
      }),
    );
    const metrics = await scrapeWhenUp(exporter);

    expect(find(metrics, "proofwatch_driver_info").map((s) => s.labels)).toEqual([
      { driver_version: "470.239.06", cuda_driver_version: "" },
    ]);
    const info = find(metrics, "proofwatch_gpu_info");
    expect(info).toHaveLength(2);
    for (const sample of info) {
      expect(sample.labels).toMatchObject({ vbios_version: "", inforom_version: "" });
    }
    const gpu0 = { gpu: "0", uuid: info[0]?.labels.uuid ?? "" };
    expect(sampleValue(metrics, "proofwatch_gpu_up", gpu0)).toBe(1);
    expect(sampleValue(metrics, "proofwatch_gpu_temperature_celsius", gpu0)).toBe(55);
    expect(
      sampleValue(metrics, "proofwatch_exporter_collector_success", { collector: "identity" }),
    ).toBe(1);
  });
});
