// Against a library without the newer entry points (fake_nvml_legacy: what drivers before
// r510 export), the loader falls back to older symbols and reports what is missing.
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fakeNvmlLibraryPath,
  loadNvml,
  NVML_ERROR_FUNCTION_NOT_FOUND,
} from "../../native/index.js";
import type { XidEvent } from "../../native/types.js";
import { useFakeNvml, waitFor } from "./fake-scenario.js";

const nvml = loadNvml();

beforeAll(() => {
  useFakeNvml({
    devices: [
      {
        fields: {
          memoryTotalBytes: 42_949_672_960,
          memoryReservedBytes: 300_000_000,
          memoryUsedBytes: 10_000_000_000,
          clocksEventReasons: 0x4,
          retiredPagesSingleBitEcc: 2,
          retiredPagesDoubleBitEcc: 1,
        },
        processes: [{ pid: 31337, usedGpuMemoryBytes: 9_000_000_000 }, { pid: 31338 }],
      },
    ],
    events: [{ id: "legacy", device: 0, xid: 92 }],
  });
  process.env.PROOFWATCH_NVML_LIBRARY = join(dirname(fakeNvmlLibraryPath()), "fake_nvml_legacy.so");
  nvml.init();
});

afterAll(() => {
  nvml.stopEvents();
  nvml.shutdown();
});

describe("an older driver", () => {
  it("lists the newest names of the functions it lacks", () => {
    expect([...nvml.missingFunctions()].sort()).toEqual([
      "nvmlDeviceGetComputeRunningProcesses_v3",
      "nvmlDeviceGetMemoryInfo_v2",
      "nvmlDeviceGetRemappedRows",
      "nvmlDeviceGetRetiredPages_v2",
    ]);
  });

  it("reads the CUDA driver version through the unversioned symbol", async () => {
    // fake-nvml's default: what driver 550 supports.
    await expect(nvml.cudaDriverVersionAsync()).resolves.toBe(12040);
  });

  it("reads memory through v1, which has no reserved figure", async () => {
    const reading = await nvml.readDevice(0, ["memory"]);
    expect(reading.values).toEqual({
      memoryTotalBytes: 42_949_672_960,
      memoryUsedBytes: 10_300_000_000,
      memoryFreeBytes: 32_649_672_960,
    });
    expect(reading.errors).toEqual({ memoryReservedBytes: NVML_ERROR_FUNCTION_NOT_FOUND });
  });

  it("reports FUNCTION_NOT_FOUND for fields whose only function is missing", async () => {
    const reading = await nvml.readDevice(0, ["remappedRows", "thermal"]);
    expect(reading.errors).toMatchObject({
      remappedRowsCorrectable: NVML_ERROR_FUNCTION_NOT_FOUND,
      remappedRowsUncorrectable: NVML_ERROR_FUNCTION_NOT_FOUND,
      remappedRowsPending: NVML_ERROR_FUNCTION_NOT_FOUND,
      remappedRowsFailure: NVML_ERROR_FUNCTION_NOT_FOUND,
    });
    // Everything else still reads.
    expect(reading.values.temperatureGpuCelsius).toBe(32);
  });

  it("falls back to the older clocks, retired-pages and process-list symbols", async () => {
    const reading = await nvml.readDevice(0, ["clocks", "retiredPages", "processes"]);
    expect(reading.errors).toEqual({});
    expect(reading.values).toMatchObject({
      clocksEventReasons: 0x4,
      retiredPagesSingleBitEcc: 2,
      retiredPagesDoubleBitEcc: 1,
      // The v1 process struct is laid out differently from v3's; both must decode.
      computeProcesses: [{ pid: 31337, usedGpuMemoryBytes: 9_000_000_000 }, { pid: 31338 }],
    });
  });

  it("waits for XID events with the unversioned nvmlEventSetWait", async () => {
    const events: XidEvent[] = [];
    await nvml.startEvents((event) => events.push(event));
    expect(await waitFor(() => events.length > 0, 5_000)).toBe(true);
    expect(events[0]).toMatchObject({ index: 0, xid: 92 });
  });
});
