// nvml_probe, the Node-free executable for GPU hosts, run against fake-nvml and the shipped
// scenarios.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  fakeNvmlLibraryPath,
  NVML_ERROR_GPU_IS_LOST,
  NVML_ERROR_LIBRARY_NOT_FOUND,
  NVML_ERROR_NOT_SUPPORTED,
  nvmlProbePath,
  packageRoot,
} from "../../native/index.js";
import type { DeviceValues, FieldName, XidEvent } from "../../native/types.js";
import { ScenarioFile } from "./fake-scenario.js";

interface ProbeDevice {
  index: number;
  values?: DeviceValues;
  errors?: Partial<Record<FieldName, number>>;
  error?: { code: number; name: string };
}

interface ProbeOutput {
  library: string;
  error?: { code: number; name: string; message: string };
  missingFunctions?: string[];
  driverVersion?: string;
  deviceCount?: number;
  devices?: ProbeDevice[];
  eventDevices?: number[];
  events?: XidEvent[];
}

function probe(
  scenarioPath: string,
  args: string[] = [],
  library = fakeNvmlLibraryPath(),
): { status: number | null; out: ProbeOutput } {
  const run = spawnSync(nvmlProbePath(), args, {
    env: { ...process.env, PROOFWATCH_NVML_LIBRARY: library, FAKE_NVML_SCENARIO: scenarioPath },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: run.status, out: JSON.parse(run.stdout) as ProbeOutput };
}

function shipped(name: string): string {
  return join(packageRoot(), "native", "fake-nvml", "scenarios", name);
}

describe("nvml_probe", () => {
  it("prints every device's fields and the XID events that arrive while it waits", () => {
    const file = new ScenarioFile({
      driverVersion: "535.183.01",
      devices: [
        { uuid: "GPU-aaaaaaaa-0000-4000-8000-000000000000", fields: { temperatureGpuCelsius: 55 } },
        { fields: { fanSpeedPercent: "NOT_SUPPORTED" } },
        { lost: true },
      ],
      events: [{ id: "e1", device: 0, xid: 63 }],
    });
    const { status, out } = probe(file.path, ["--events", "0.6"]);
    expect(status).toBe(0);
    expect(out.driverVersion).toBe("535.183.01");
    expect(out.deviceCount).toBe(3);
    expect(out.missingFunctions).toEqual([]);
    expect(out.devices?.[0]?.values).toMatchObject({
      uuid: "GPU-aaaaaaaa-0000-4000-8000-000000000000",
      temperatureGpuCelsius: 55,
      computeProcesses: [],
    });
    expect(out.devices?.[1]?.errors).toEqual({ fanSpeedPercent: NVML_ERROR_NOT_SUPPORTED });
    expect(out.devices?.[2]?.error).toEqual({ code: NVML_ERROR_GPU_IS_LOST, name: "GPU_IS_LOST" });
    expect(out.eventDevices).toEqual([0, 1]);
    expect(out.events).toEqual([
      { index: 0, uuid: "GPU-aaaaaaaa-0000-4000-8000-000000000000", xid: 63 },
    ]);
  });

  it("reads only the groups it is given", () => {
    const file = new ScenarioFile({});
    const { out } = probe(file.path, ["--groups", "identity,pcie"]);
    const fields = Object.keys(out.devices?.[0]?.values ?? {});
    expect(fields).toContain("pciBusId");
    expect(fields).toContain("pcieLinkGeneration");
    expect(fields).not.toContain("temperatureGpuCelsius");
  });

  it("exits with LIBRARY_NOT_FOUND and says why when NVML cannot be loaded", () => {
    const { status, out } = probe("/dev/null", [], "/nonexistent/libnvidia-ml.so.1");
    expect(status).toBe(NVML_ERROR_LIBRARY_NOT_FOUND);
    expect(out.error).toMatchObject({
      code: NVML_ERROR_LIBRARY_NOT_FOUND,
      name: "LIBRARY_NOT_FOUND",
    });
    expect(out.error?.message).toContain("/nonexistent/libnvidia-ml.so.1");
  });

  it("exits with 2 and lists the field groups on an unknown one", () => {
    const run = spawnSync(nvmlProbePath(), ["--groups", "identity,voltage"], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("identity,utilization,memory");
  });

  it("fails nvmlInit with DRIVER_NOT_LOADED when fake-nvml's scenario is unreadable", () => {
    const { status, out } = probe("/nonexistent/scenario.json");
    expect(status).toBe(9);
    expect(out.error).toMatchObject({ code: 9, name: "DRIVER_NOT_LOADED" });
  });

  it("refuses a scenario with a misspelt key rather than fall back to defaults", () => {
    const file = new ScenarioFile({ devices: [{ lostAfterSecond: 5 }] });
    const run = spawnSync(nvmlProbePath(), [], {
      env: {
        ...process.env,
        PROOFWATCH_NVML_LIBRARY: fakeNvmlLibraryPath(),
        FAKE_NVML_SCENARIO: file.path,
      },
      encoding: "utf8",
    });
    expect(run.status).toBe(9);
    expect(run.stderr).toContain('device 0: unknown key "lostAfterSecond"');
  });
});

describe("shipped scenarios", () => {
  it("h100x8: eight healthy H100s near their 700 W limit", () => {
    const { out } = probe(shipped("h100x8.json"));
    expect(out.deviceCount).toBe(8);
    const uuids = new Set(out.devices?.map((d) => d.values?.uuid));
    expect(uuids.size).toBe(8);
    for (const device of out.devices ?? []) {
      expect(device.values).toMatchObject({
        name: "NVIDIA H100 80GB HBM3",
        memoryTotalBytes: 85_520_809_984,
        powerLimitMilliwatts: 700_000,
        pcieLinkGeneration: 5,
        pcieLinkWidth: 16,
        eccModeCurrent: 1,
        eccCorrectedVolatile: 0,
        eccUncorrectedVolatile: 0,
        remappedRowsUncorrectable: 0,
      });
      expect(device.values?.computeProcesses).toHaveLength(1);
    }
  });

  it("degrading: GPU 3 carries the damage, and its ECC counter is already climbing", () => {
    const { out } = probe(shipped("degrading.json"));
    expect(out.deviceCount).toBe(8);
    const sick = out.devices?.[3]?.values;
    expect(sick?.eccCorrectedAggregate).toBeGreaterThanOrEqual(212);
    expect(sick?.remappedRowsCorrectable).toBeGreaterThanOrEqual(1);
    expect(sick?.eccUncorrectedVolatile).toBe(0);
    expect(out.devices?.[2]?.values?.eccCorrectedAggregate).toBe(0);
  });

  it("consumer: two RTX 4090s without ECC, page retirement or row remapping", () => {
    const { out } = probe(shipped("consumer.json"));
    expect(out.deviceCount).toBe(2);
    for (const device of out.devices ?? []) {
      expect(device.values).toMatchObject({
        name: "NVIDIA GeForce RTX 4090",
        powerLimitMilliwatts: 450_000,
        pcieLinkGeneration: 4,
        pcieLinkWidth: 16,
      });
      for (const field of [
        "eccModeCurrent",
        "eccCorrectedVolatile",
        "retiredPagesSingleBitEcc",
        "retiredPagesPending",
        "remappedRowsCorrectable",
      ] as const) {
        expect(device.errors?.[field]).toBe(NVML_ERROR_NOT_SUPPORTED);
      }
    }
  });
});
