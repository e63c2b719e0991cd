// Loading NVML: a missing library, reference-counted init/shutdown, calls before init.
import { afterAll, describe, expect, it } from "vitest";
import {
  fakeNvmlLibraryPath,
  loadNvml,
  NVML_ERROR_LIBRARY_NOT_FOUND,
  NVML_ERROR_UNINITIALIZED,
  NvmlError,
  nvmlErrorName,
} from "../../native/index.js";
import { useFakeNvml } from "./fake-scenario.js";

const nvml = loadNvml();

afterAll(() => {
  // Whatever a failed assertion left initialised.
  for (let i = 0; i < 4; i++) nvml.shutdown();
});

describe("init", () => {
  it("throws NvmlError LIBRARY_NOT_FOUND naming the path when dlopen fails", () => {
    const missing = "/nonexistent/proofwatch/libnvidia-ml.so.1";
    process.env.PROOFWATCH_NVML_LIBRARY = missing;
    let thrown: unknown;
    try {
      nvml.init();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NvmlError);
    const error = thrown as NvmlError;
    expect(error.code).toBe(NVML_ERROR_LIBRARY_NOT_FOUND);
    expect(error.nvmlName).toBe("LIBRARY_NOT_FOUND");
    expect(error.message).toContain(missing);
    expect(error.message).toMatch(/No such file/);
  });

  it("rejects calls made before init with UNINITIALIZED", async () => {
    expect(() => nvml.deviceCount()).toThrow(NvmlError);
    await expect(nvml.readDevice(0, ["thermal"])).rejects.toMatchObject({
      code: NVML_ERROR_UNINITIALIZED,
    });
  });

  it("loads fake-nvml and counts init and shutdown calls", async () => {
    useFakeNvml({ devices: [{ count: 2 }] });
    expect(fakeNvmlLibraryPath()).toMatch(/^\/.*fake_nvml\.so$/);
    nvml.init();
    nvml.init();
    nvml.shutdown();
    expect(nvml.deviceCount()).toBe(2);
    await expect(nvml.readDevice(1, ["thermal"])).resolves.toMatchObject({ index: 1 });
    nvml.shutdown();
    expect(() => nvml.deviceCount()).toThrow(expect.objectContaining({ code: 1 }));
    // One shutdown too many is harmless, as a cleanup path may well do it.
    expect(() => nvml.shutdown()).not.toThrow();
  });

  it("can start again after a full shutdown", () => {
    nvml.init();
    expect(nvml.deviceCount()).toBe(2);
    nvml.shutdown();
  });

  it("shuts down safely while XID events are being watched", async () => {
    nvml.init();
    await nvml.startEvents(() => {});
    nvml.shutdown();
    expect(() => nvml.stopEvents()).not.toThrow();
    nvml.init();
    // The watcher was stopped with the last shutdown, so it can be started afresh.
    await nvml.startEvents(() => {});
    nvml.stopEvents();
    nvml.shutdown();
  });

  it("drops a registration for XID events that a shutdown overtook", async () => {
    nvml.init();
    const started = nvml.startEvents(() => {});
    nvml.shutdown();
    await expect(started).resolves.toBeUndefined();
    nvml.init();
    // Nothing was left running or registering: a new watcher starts.
    await nvml.startEvents(() => {});
    nvml.stopEvents();
    nvml.shutdown();
  });
});

describe("nvmlErrorName", () => {
  it("names NVML's return codes and marks unknown ones", () => {
    expect(nvmlErrorName(0)).toBe("SUCCESS");
    expect(nvmlErrorName(3)).toBe("NOT_SUPPORTED");
    expect(nvmlErrorName(15)).toBe("GPU_IS_LOST");
    expect(nvmlErrorName(999)).toBe("UNKNOWN");
    expect(nvmlErrorName(4242)).toBe("UNKNOWN_4242");
  });
});
