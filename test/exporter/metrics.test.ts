import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Exposition, find, sampleValue } from "../../demo/src/exposition.js";
import { undocumentedMetrics } from "../helpers/prometheus.js";
import {
  fullGpu,
  labelsOfGpu,
  ScenarioFile,
  startTestExporter,
  type TestExporter,
} from "./harness.js";

const NOT_SUPPORTED_ON_CONSUMER = [
  "eccModeCurrent",
  "eccModePending",
  "eccCorrectedVolatile",
  "eccCorrectedAggregate",
  "eccUncorrectedVolatile",
  "eccUncorrectedAggregate",
  "retiredPagesSingleBitEcc",
  "retiredPagesDoubleBitEcc",
  "retiredPagesPending",
  "remappedRowsCorrectable",
  "remappedRowsUncorrectable",
  "remappedRowsPending",
  "remappedRowsFailure",
  "fanSpeedPercent",
];

function consumerGpu(): Record<string, unknown> {
  const gpu = fullGpu(1);
  const fields = { ...(gpu.fields as Record<string, unknown>) };
  for (const field of NOT_SUPPORTED_ON_CONSUMER) fields[field] = "NOT_SUPPORTED";
  return { ...gpu, name: "NVIDIA GeForce RTX 4090", fields };
}

describe("exporter metrics on fake-nvml", () => {
  let exporter: TestExporter;
  let metrics: Exposition;
  const h100 = labelsOfGpu(0);
  const rtx = labelsOfGpu(1);

  beforeAll(async () => {
    const scenario = new ScenarioFile({
      driverVersion: "550.54.15",
      devices: [fullGpu(0), consumerGpu()],
    });
    exporter = await startTestExporter(scenario);
    metrics = await exporter.scrape();
  });
  afterAll(() => exporter?.close());

  it("reports NVML up and both GPUs up with their identity", () => {
    expect(sampleValue(metrics, "proofwatch_exporter_nvml_up")).toBe(1);
    expect(sampleValue(metrics, "proofwatch_exporter_gpus_detected")).toBe(2);
    expect(sampleValue(metrics, "proofwatch_gpu_up", h100)).toBe(1);
    expect(sampleValue(metrics, "proofwatch_gpu_up", rtx)).toBe(1);
    expect(sampleValue(metrics, "proofwatch_gpu_collection_success", h100)).toBe(1);
    const [info] = find(metrics, "proofwatch_gpu_info", h100);
    expect(info?.labels).toMatchObject({
      name: "NVIDIA H100 80GB HBM3",
      driver_version: "550.54.15",
      pci_bus_id: "00000000:10:00.0",
      serial: "1650123456780",
    });
  });

  it("converts NVML units into base units", () => {
    expect(sampleValue(metrics, "proofwatch_gpu_utilization_ratio", h100)).toBeCloseTo(0.87);
    expect(sampleValue(metrics, "proofwatch_gpu_memory_utilization_ratio", h100)).toBeCloseTo(0.41);
    expect(sampleValue(metrics, "proofwatch_gpu_memory_total_bytes", h100)).toBe(85_520_809_984);
    expect(sampleValue(metrics, "proofwatch_gpu_memory_used_bytes", h100)).toBe(60_000_000_000);
    expect(sampleValue(metrics, "proofwatch_gpu_memory_free_bytes", h100)).toBe(25_000_000_000);
    expect(sampleValue(metrics, "proofwatch_gpu_memory_reserved_bytes", h100)).toBe(520_809_984);
    expect(sampleValue(metrics, "proofwatch_gpu_temperature_celsius", h100)).toBe(61);
    expect(sampleValue(metrics, "proofwatch_gpu_temperature_celsius", rtx)).toBe(62);
    expect(sampleValue(metrics, "proofwatch_gpu_fan_speed_ratio", h100)).toBeCloseTo(0.35);
    expect(sampleValue(metrics, "proofwatch_gpu_power_watts", h100)).toBeCloseTo(512.345);
    expect(sampleValue(metrics, "proofwatch_gpu_power_limit_watts", h100)).toBe(700);
    expect(sampleValue(metrics, "proofwatch_gpu_energy_joules_total", h100)).toBeGreaterThanOrEqual(
      9_876_543.21,
    );
    expect(sampleValue(metrics, "proofwatch_gpu_performance_state", h100)).toBe(0);
    expect(sampleValue(metrics, "proofwatch_gpu_pcie_tx_bytes_per_second", h100)).toBe(2048 * 1024);
    expect(sampleValue(metrics, "proofwatch_gpu_pcie_rx_bytes_per_second", h100)).toBe(4096 * 1024);
    expect(sampleValue(metrics, "proofwatch_gpu_pcie_replay_errors_total", h100)).toBe(3);
    expect(sampleValue(metrics, "proofwatch_gpu_pcie_link_generation", h100)).toBe(5);
    expect(sampleValue(metrics, "proofwatch_gpu_pcie_link_width", h100)).toBe(16);
    expect(sampleValue(metrics, "proofwatch_gpu_pcie_link_max_generation", h100)).toBe(5);
    expect(sampleValue(metrics, "proofwatch_gpu_pcie_link_max_width", h100)).toBe(16);
    expect(sampleValue(metrics, "proofwatch_gpu_sm_clock_hertz", h100)).toBe(1_980_000_000);
    expect(sampleValue(metrics, "proofwatch_gpu_memory_clock_hertz", h100)).toBe(2_619_000_000);
  });

  it("splits the clocks-event bitmask into one 0/1 series per reason", () => {
    const active = find(metrics, "proofwatch_gpu_clocks_event_reason_active", h100)
      .filter((sample) => sample.value === 1)
      .map((sample) => sample.labels.reason)
      .sort();
    expect(active).toEqual(["hw_thermal_slowdown", "sw_power_cap"]);
    expect(find(metrics, "proofwatch_gpu_clocks_event_reason_active", h100)).toHaveLength(9);
  });

  it("reports ECC, retired pages and remapped rows by their labels", () => {
    const ecc = (type: string, counter: string) =>
      sampleValue(metrics, "proofwatch_gpu_ecc_errors_total", { ...h100, type, counter });
    expect(ecc("corrected", "volatile")).toBe(12);
    expect(ecc("corrected", "aggregate")).toBe(120);
    expect(ecc("uncorrected", "volatile")).toBe(1);
    expect(ecc("uncorrected", "aggregate")).toBe(2);
    expect(sampleValue(metrics, "proofwatch_gpu_ecc_enabled", h100)).toBe(1);
    expect(sampleValue(metrics, "proofwatch_gpu_ecc_pending_enabled", h100)).toBe(1);
    const retired = (cause: string) =>
      sampleValue(metrics, "proofwatch_gpu_retired_pages", { ...h100, cause });
    expect(retired("multiple_single_bit_ecc")).toBe(4);
    expect(retired("double_bit_ecc")).toBe(1);
    expect(sampleValue(metrics, "proofwatch_gpu_retired_pages_pending", h100)).toBe(0);
    const remapped = (kind: string) =>
      sampleValue(metrics, "proofwatch_gpu_remapped_rows", { ...h100, kind });
    expect(remapped("correctable")).toBe(7);
    expect(remapped("uncorrectable")).toBe(2);
    expect(sampleValue(metrics, "proofwatch_gpu_remapped_rows_pending", h100)).toBe(1);
    expect(sampleValue(metrics, "proofwatch_gpu_remapped_rows_failure", h100)).toBe(0);
  });

  it("counts compute processes and the memory they hold", () => {
    expect(sampleValue(metrics, "proofwatch_gpu_compute_processes", h100)).toBe(2);
    expect(sampleValue(metrics, "proofwatch_gpu_compute_processes_memory_used_bytes", h100)).toBe(
      1_500_000_000,
    );
  });

  it("leaves NOT_SUPPORTED fields absent rather than zero or failed", () => {
    for (const name of [
      "proofwatch_gpu_ecc_errors_total",
      "proofwatch_gpu_ecc_enabled",
      "proofwatch_gpu_retired_pages",
      "proofwatch_gpu_remapped_rows",
      "proofwatch_gpu_remapped_rows_failure",
      "proofwatch_gpu_fan_speed_ratio",
    ]) {
      expect(find(metrics, name, rtx), name).toHaveLength(0);
    }
    expect(sampleValue(metrics, "proofwatch_gpu_collection_success", rtx)).toBe(1);
    expect(
      sampleValue(metrics, "proofwatch_exporter_collector_success", { collector: "ecc" }),
    ).toBe(1);
  });

  it("reports every collector's duration and success", () => {
    for (const collector of ["identity", "memory", "ecc", "pcie", "clocks", "xid"]) {
      expect(sampleValue(metrics, "proofwatch_exporter_collector_success", { collector })).toBe(1);
      const seconds = sampleValue(metrics, "proofwatch_exporter_collector_duration_seconds", {
        collector,
      });
      expect(seconds).toBeGreaterThanOrEqual(0);
      expect(seconds).toBeLessThan(2);
    }
  });

  it("types counters as counters, and labels value series only with gpu and uuid", () => {
    for (const [name, type] of metrics.types) {
      if (name.endsWith("_total")) expect(type, name).toBe("counter");
      else expect(type, name).not.toBe("counter");
    }
    const identityLabels = ["name", "driver_version", "pci_bus_id", "serial"];
    for (const sample of metrics.samples) {
      if (sample.name === "proofwatch_gpu_info" || sample.name === "proofwatch_driver_info")
        continue;
      for (const label of identityLabels)
        expect(sample.labels, sample.name).not.toHaveProperty(label);
    }
  });

  it("documents every metric it serves in docs/metrics.md", () => {
    expect(undocumentedMetrics(metrics.types.keys())).toEqual([]);
  });
});
