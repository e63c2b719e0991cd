// A hung NVML call must stall only its own GPU: each device reads on its own native thread.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadNvml } from "../../native/index.js";
import type { DeviceReading } from "../../native/types.js";
import { sleep, useFakeNvml } from "./fake-scenario.js";

const DELAY_MS = 2_500;
const nvml = loadNvml();

beforeAll(() => {
  useFakeNvml({
    devices: [
      { fields: { temperatureGpuCelsius: 71 }, delays: { nvmlDeviceGetTemperature: DELAY_MS } },
      { fields: { temperatureGpuCelsius: 45 } },
    ],
  });
  nvml.init();
});

afterAll(() => nvml.shutdown());

function track(promise: Promise<DeviceReading>): { settled: () => boolean } {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return { settled: () => settled };
}

describe("per-device reader threads", () => {
  it("keeps other devices and the JS thread responsive while one device's call hangs", async () => {
    const started = Date.now();
    const slow = nvml.readDevice(0, ["thermal"]);
    const slowState = track(slow);
    // Queued behind the hung call on the same device's thread.
    const slowSecond = nvml.readDevice(0, ["power"]);
    const slowSecondState = track(slowSecond);

    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const timerFired = new Promise<number>((resolve) => setTimeout(() => resolve(Date.now()), 50));

    const fast = await nvml.readDevice(1, ["thermal"]);
    const fastAt = Date.now();
    const timerAt = await timerFired;
    await sleep(300);
    clearInterval(timer);

    expect(fast.values.temperatureGpuCelsius).toBe(45);
    expect(fastAt - started).toBeLessThan(DELAY_MS / 2);
    expect(timerAt - started).toBeLessThan(DELAY_MS / 2);
    expect(ticks).toBeGreaterThan(5);
    expect(slowState.settled()).toBe(false);
    expect(slowSecondState.settled()).toBe(false);

    // A delayed call answers normally in the end, and the queue behind it drains.
    const reading = await slow;
    expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 50);
    expect(reading.values.temperatureGpuCelsius).toBe(71);
    await expect(slowSecond).resolves.toMatchObject({ index: 0 });
  });

  it("serves many reads of several devices at once", async () => {
    const readings = await Promise.all(
      Array.from({ length: 40 }, (_, i) => nvml.readDevice(1, i % 2 === 0 ? ["power"] : ["pcie"])),
    );
    expect(readings).toHaveLength(40);
    expect(readings.every((r) => r.index === 1)).toBe(true);
  });
});
