// Every field group read through the real addon from the real fake-nvml library.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cudaVersionString,
  FIELD_GROUPS,
  loadNvml,
  NVML_ERROR_ARGUMENT_VERSION_MISMATCH,
  NVML_ERROR_GPU_IS_LOST,
  NVML_ERROR_INVALID_ARGUMENT,
  NVML_ERROR_NOT_SUPPORTED,
  NvmlError,
} from "../../native/index.js";
import type { DeviceValues, FieldGroup, FieldName } from "../../native/types.js";
import { useFakeNvml } from "./fake-scenario.js";

const GROUP_FIELDS: Record<FieldGroup, FieldName[]> = {
  identity: ["uuid", "name", "serial", "pciBusId"],
  utilization: ["gpuUtilPercent", "memoryUtilPercent"],
  memory: ["memoryTotalBytes", "memoryUsedBytes", "memoryFreeBytes", "memoryReservedBytes"],
  thermal: ["temperatureGpuCelsius", "fanSpeedPercent"],
  power: [
    "powerUsageMilliwatts",
    "powerLimitMilliwatts",
    "totalEnergyMillijoules",
    "performanceState",
  ],
  pcie: [
    "pcieTxKilobytesPerSecond",
    "pcieRxKilobytesPerSecond",
    "pcieReplayCounter",
    "pcieLinkGeneration",
    "pcieLinkWidth",
    "pcieMaxLinkGeneration",
    "pcieMaxLinkWidth",
  ],
  clocks: ["smClockMegahertz", "memoryClockMegahertz", "clocksEventReasons"],
  ecc: [
    "eccModeCurrent",
    "eccModePending",
    "eccCorrectedVolatile",
    "eccCorrectedAggregate",
    "eccUncorrectedVolatile",
    "eccUncorrectedAggregate",
  ],
  retiredPages: ["retiredPagesSingleBitEcc", "retiredPagesDoubleBitEcc", "retiredPagesPending"],
  remappedRows: [
    "remappedRowsCorrectable",
    "remappedRowsUncorrectable",
    "remappedRowsPending",
    "remappedRowsFailure",
  ],
  processes: ["computeProcesses"],
  firmware: ["vbiosVersion", "inforomImageVersion"],
};

// Distinct, non-default numbers so a value read from the wrong NVML call cannot pass.
const numericFields = {
  gpuUtilPercent: 93,
  memoryUtilPercent: 57,
  memoryTotalBytes: 85_520_809_984,
  memoryUsedBytes: 61_203_283_968,
  memoryFreeBytes: 23_836_229_632,
  memoryReservedBytes: 481_296_384,
  temperatureGpuCelsius: 66,
  fanSpeedPercent: 41,
  powerUsageMilliwatts: 654_321,
  powerLimitMilliwatts: 700_000,
  totalEnergyMillijoules: 987_654_321_012,
  performanceState: 2,
  pcieTxKilobytesPerSecond: 1_234_567,
  pcieRxKilobytesPerSecond: 7_654_321,
  pcieReplayCounter: 17,
  pcieLinkGeneration: 4,
  pcieLinkWidth: 8,
  pcieMaxLinkGeneration: 5,
  pcieMaxLinkWidth: 16,
  smClockMegahertz: 1_755,
  memoryClockMegahertz: 2_619,
  clocksEventReasons: 0x20,
  eccModeCurrent: 1,
  eccModePending: 0,
  eccCorrectedVolatile: 11,
  eccCorrectedAggregate: 1_011,
  eccUncorrectedVolatile: 2,
  eccUncorrectedAggregate: 5,
  retiredPagesSingleBitEcc: 3,
  retiredPagesDoubleBitEcc: 1,
  retiredPagesPending: 1,
  remappedRowsCorrectable: 6,
  remappedRowsUncorrectable: 2,
  remappedRowsPending: 1,
  remappedRowsFailure: 0,
} satisfies DeviceValues;

const identity = {
  uuid: "GPU-0badc0de-1111-4222-8333-444455556666",
  name: "NVIDIA H100 80GB HBM3",
  serial: "1652422012345",
  pciBusId: "00000000:9A:00.0",
  vbiosVersion: "96.00.89.00.02",
  inforomImageVersion: "G520.0200.00.03",
};

const processes = [{ pid: 4242, usedGpuMemoryBytes: 60_129_542_144 }, { pid: 4243 }];

const expected: DeviceValues = {
  ...identity,
  ...numericFields,
  computeProcesses: processes,
};

const nvml = loadNvml();

beforeAll(() => {
  useFakeNvml({
    driverVersion: "550.90.07",
    cudaDriverVersion: 12050,
    devices: [
      { ...identity, fields: numericFields, processes },
      {
        fields: {
          fanSpeedPercent: "NOT_SUPPORTED",
          eccModeCurrent: "NOT_SUPPORTED",
          remappedRowsPending: "NOT_SUPPORTED",
          memoryUsedBytes: 1_000_000,
          memoryReservedBytes: 500_000,
        },
        processes: "NOT_SUPPORTED",
        returns: {
          nvmlDeviceGetSerial: "NOT_SUPPORTED",
          nvmlDeviceGetInforomImageVersion: "NOT_SUPPORTED",
          nvmlDeviceGetMemoryInfo_v2: "ARGUMENT_VERSION_MISMATCH",
        },
      },
      { lost: true },
    ],
  });
  nvml.init();
});

afterAll(() => nvml.shutdown());

describe("device and driver queries", () => {
  it("reports the scenario's driver version and device count, and no missing symbol", () => {
    expect(nvml.driverVersion()).toBe("550.90.07");
    expect(nvml.deviceCount()).toBe(3);
    expect(nvml.missingFunctions()).toEqual([]);
  });

  it("reports the newest CUDA version the driver supports, on the JS and system threads", async () => {
    expect(nvml.cudaDriverVersion()).toBe(12050);
    await expect(nvml.cudaDriverVersionAsync()).resolves.toBe(12050);
    expect(cudaVersionString(nvml.cudaDriverVersion())).toBe("12.5");
    expect(cudaVersionString(11080)).toBe("11.8");
  });
});

describe("readDevice", () => {
  it("returns every field of every group as the scenario sets it", async () => {
    const reading = await nvml.readDevice(0, FIELD_GROUPS);
    expect(reading.index).toBe(0);
    expect(reading.errors).toEqual({});
    expect(reading.values).toEqual(expected);
  });

  it.each(FIELD_GROUPS)("reads only the %s group's fields when asked for it", async (group) => {
    const reading = await nvml.readDevice(0, [group]);
    expect(Object.keys(reading.values).sort()).toEqual([...GROUP_FIELDS[group]].sort());
    for (const field of GROUP_FIELDS[group]) {
      expect(reading.values[field]).toEqual(expected[field]);
    }
  });

  it("puts NOT_SUPPORTED fields in errors and leaves them out of values", async () => {
    const reading = await nvml.readDevice(1, ["thermal", "ecc", "remappedRows", "processes"]);
    expect(reading.errors).toEqual({
      fanSpeedPercent: NVML_ERROR_NOT_SUPPORTED,
      // One NVML call fills both ECC modes, and all four remapped-row values.
      eccModeCurrent: NVML_ERROR_NOT_SUPPORTED,
      eccModePending: NVML_ERROR_NOT_SUPPORTED,
      remappedRowsCorrectable: NVML_ERROR_NOT_SUPPORTED,
      remappedRowsUncorrectable: NVML_ERROR_NOT_SUPPORTED,
      remappedRowsPending: NVML_ERROR_NOT_SUPPORTED,
      remappedRowsFailure: NVML_ERROR_NOT_SUPPORTED,
      computeProcesses: NVML_ERROR_NOT_SUPPORTED,
    });
    expect(reading.values.fanSpeedPercent).toBeUndefined();
    expect(reading.values.eccModeCurrent).toBeUndefined();
    expect(reading.values.computeProcesses).toBeUndefined();
    expect(reading.values.temperatureGpuCelsius).toBe(32);
    expect(reading.values.eccCorrectedVolatile).toBe(0);
  });

  it("falls back to nvmlDeviceGetMemoryInfo v1 when v2 refuses the struct version", async () => {
    const reading = await nvml.readDevice(1, ["memory", "identity", "firmware"]);
    // v1 counts the driver's reservation as used and has no separate reserved figure.
    expect(reading.values.memoryUsedBytes).toBe(1_500_000);
    expect(reading.values.memoryTotalBytes).toBe(85_520_809_984);
    expect(reading.values.memoryReservedBytes).toBeUndefined();
    expect(reading.errors).toEqual({
      memoryReservedBytes: NVML_ERROR_ARGUMENT_VERSION_MISMATCH,
      serial: NVML_ERROR_NOT_SUPPORTED,
      inforomImageVersion: NVML_ERROR_NOT_SUPPORTED,
    });
    expect(reading.values.uuid).toMatch(/^GPU-/);
    // fake-nvml's default firmware: the other identity strings still read.
    expect(reading.values.vbiosVersion).toBe("96.00.99.00.01");
  });

  it("rejects with NvmlError GPU_IS_LOST when the GPU has fallen off the bus", async () => {
    const error = await nvml.readDevice(2, ["thermal"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NvmlError);
    expect(error).toMatchObject({ code: NVML_ERROR_GPU_IS_LOST, nvmlName: "GPU_IS_LOST" });
  });

  it("rejects with NvmlError INVALID_ARGUMENT for an index past the last GPU", async () => {
    await expect(nvml.readDevice(7, ["thermal"])).rejects.toMatchObject({
      code: NVML_ERROR_INVALID_ARGUMENT,
      nvmlName: "INVALID_ARGUMENT",
    });
  });

  it("rejects bad arguments in TypeScript before they reach native code", async () => {
    await expect(nvml.readDevice(-1, ["thermal"])).rejects.toBeInstanceOf(TypeError);
    await expect(nvml.readDevice(0.5, ["thermal"])).rejects.toBeInstanceOf(TypeError);
    const bogus = ["thermal", "voltage"] as unknown as FieldGroup[];
    await expect(nvml.readDevice(0, bogus)).rejects.toThrow(/unknown field group "voltage"/);
  });
});
