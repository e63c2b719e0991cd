// Initialisation and enumeration off the JS thread: initAsync, deviceCountAsync,
// driverVersionAsync and the XID registration run on the binding's system thread, so a
// driver that hangs in them (fake-nvml's "hang" delay, lifted by rewriting the scenario)
// leaves the JS thread free, and they answer from the new scenario once it is lifted.
import { afterEach, describe, expect, it } from "vitest";
import {
  loadNvml,
  NVML_ERROR_UNINITIALIZED,
  NvmlError,
  nvmlErrorName,
} from "../../native/index.js";
import type { XidEvent } from "../../native/types.js";
import { sleep, useFakeNvml, waitFor } from "./fake-scenario.js";

const nvml = loadNvml();
const NVML_ERROR_DRIVER_NOT_LOADED = 9;

/** Whether `promise` has settled, read without waiting for it. */
function watch(promise: Promise<unknown>): () => boolean {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return () => settled;
}

/** How late a 50 ms timer fires: a blocked JS thread shows up here. */
async function timerLagMs(): Promise<number> {
  const started = Date.now();
  await sleep(50);
  return Date.now() - started - 50;
}

afterEach(() => {
  nvml.stopEvents();
  for (let i = 0; i < 4; i++) nvml.shutdown();
});

describe("initAsync", () => {
  it("stays pending while nvmlInit hangs, with the JS thread free, and resolves once the hang is lifted", async () => {
    const file = useFakeNvml({ delays: { nvmlInit_v2: "hang" }, devices: [{ count: 2 }] });
    const init = nvml.initAsync();
    const settled = watch(init);

    for (let i = 0; i < 4; i++) expect(await timerLagMs()).toBeLessThan(250);
    expect(settled()).toBe(false);
    // Nothing is initialised meanwhile.
    await expect(nvml.deviceCountAsync()).rejects.toMatchObject({
      code: NVML_ERROR_UNINITIALIZED,
    });

    file.write({ devices: [{ count: 3 }] });
    await init;
    expect(await nvml.deviceCountAsync()).toBe(3);
  });

  it("rejects with NvmlError carrying the code nvmlInit returned", async () => {
    useFakeNvml({ returns: { nvmlInit: "DRIVER_NOT_LOADED" } });
    const init = nvml.initAsync();
    await expect(init).rejects.toBeInstanceOf(NvmlError);
    await expect(init).rejects.toMatchObject({
      code: NVML_ERROR_DRIVER_NOT_LOADED,
      nvmlName: nvmlErrorName(NVML_ERROR_DRIVER_NOT_LOADED),
      message: expect.stringContaining("nvmlInit_v2 failed: DRIVER_NOT_LOADED"),
    });
    await expect(nvml.readDevice(0, ["identity"])).rejects.toMatchObject({
      code: NVML_ERROR_UNINITIALIZED,
    });
  });

  it("waits out a timed nvmlInit delay off the JS thread", async () => {
    useFakeNvml({ delays: { nvmlInit: 600 } });
    const started = Date.now();
    const init = nvml.initAsync();
    expect(await timerLagMs()).toBeLessThan(250);
    await init;
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(await nvml.driverVersionAsync()).toBe("550.54.15");
  });
});

describe("deviceCountAsync and driverVersionAsync", () => {
  it("stay pending while nvmlDeviceGetCount hangs, in order, while GPU reads go on", async () => {
    const file = useFakeNvml({
      driverVersion: "550.90.07",
      delays: { nvmlDeviceGetCount: "hang" },
      devices: [{ count: 2 }],
    });
    await nvml.initAsync();
    const count = nvml.deviceCountAsync();
    // Queued behind the hung count on the same system thread.
    const version = nvml.driverVersionAsync();
    const countSettled = watch(count);
    const versionSettled = watch(version);

    for (let i = 0; i < 4; i++) expect(await timerLagMs()).toBeLessThan(250);
    expect(countSettled()).toBe(false);
    expect(versionSettled()).toBe(false);
    // Each GPU has its own thread: a hung enumeration holds up none of their reads.
    const reading = await nvml.readDevice(1, ["thermal"]);
    expect(reading.values.temperatureGpuCelsius).toBe(32);

    file.write({ driverVersion: "550.90.07", devices: [{ count: 2 }] });
    expect(await count).toBe(2);
    expect(await version).toBe("550.90.07");
  });

  it("reject before initialisation with UNINITIALIZED", async () => {
    await expect(nvml.deviceCountAsync()).rejects.toMatchObject({
      code: NVML_ERROR_UNINITIALIZED,
    });
    await expect(nvml.driverVersionAsync()).rejects.toMatchObject({
      code: NVML_ERROR_UNINITIALIZED,
    });
  });
});

describe("startEvents", () => {
  it("registers off the JS thread: a hung device count delays events, not the JS thread", async () => {
    const file = useFakeNvml({
      delays: { nvmlDeviceGetCount: "hang" },
      devices: [{}],
      events: [{ id: "boot", device: 0, xid: 43 }],
    });
    await nvml.initAsync();
    const received: XidEvent[] = [];
    const started = nvml.startEvents((event) => received.push(event));
    const settled = watch(started);

    for (let i = 0; i < 4; i++) expect(await timerLagMs()).toBeLessThan(250);
    expect(settled()).toBe(false);
    // One watcher at a time, counting the one still registering.
    await expect(nvml.startEvents(() => {})).rejects.toThrow(/already/);

    file.write({ devices: [{}], events: [{ id: "boot", device: 0, xid: 43 }] });
    await started;
    expect(await waitFor(() => received.length > 0, 5000)).toBe(true);
    expect(received[0]).toMatchObject({ index: 0, xid: 43 });
  });
});
