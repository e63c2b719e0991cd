// Scenarios that change over time: growing counters, rewrites mid-run, GPUs that get lost.
import { renameSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadNvml, NVML_ERROR_GPU_IS_LOST } from "../../native/index.js";
import { type ScenarioFile, sleep, useFakeNvml } from "./fake-scenario.js";

const nvml = loadNvml();
let file: ScenarioFile;
let initAt = 0;

function scenario(temperature: number): object {
  return {
    devices: [
      {
        fields: {
          temperatureGpuCelsius: temperature,
          eccCorrectedVolatile: { start: 10, perSecond: 20 },
          eccUncorrectedVolatile: { start: 0, perSecond: 50, afterSeconds: 1 },
          remappedRowsPending: { start: 0, perSecond: 100, max: 1 },
        },
      },
      { lostAfterSeconds: 1.5 },
    ],
  };
}

beforeAll(() => {
  file = useFakeNvml(scenario(40));
  nvml.init();
  initAt = Date.now();
});

afterAll(() => nvml.shutdown());

describe("time-driven scenarios", () => {
  it("grows counters at their rate, from their start time, up to their max", async () => {
    const first = await nvml.readDevice(0, ["ecc", "remappedRows"]);
    const firstAt = (Date.now() - initAt) / 1000;
    await sleep(1_200);
    const second = await nvml.readDevice(0, ["ecc", "remappedRows"]);
    const secondAt = (Date.now() - initAt) / 1000;

    const c1 = first.values.eccCorrectedVolatile ?? -1;
    const c2 = second.values.eccCorrectedVolatile ?? -1;
    expect(c1).toBeGreaterThanOrEqual(10);
    expect(c1).toBeLessThanOrEqual(10 + 20 * (firstAt + 0.1));
    expect(c2 - c1).toBeGreaterThanOrEqual(20 * 1.1);
    expect(c2).toBeLessThanOrEqual(10 + 20 * (secondAt + 0.1));
    // Starts only after one second.
    expect(first.values.eccUncorrectedVolatile).toBeLessThanOrEqual(
      50 * Math.max(0, firstAt + 0.1 - 1),
    );
    expect(second.values.eccUncorrectedVolatile).toBeGreaterThan(0);
    expect(second.values.eccUncorrectedVolatile).toBeLessThanOrEqual(50 * (secondAt + 0.1 - 1));
    expect(second.values.remappedRowsPending).toBe(1);
  });

  it("serves a rewritten scenario on the next read", async () => {
    expect((await nvml.readDevice(0, ["thermal"])).values.temperatureGpuCelsius).toBe(40);
    file.write(scenario(88));
    // fake-nvml looks at the file at most every 50 ms.
    await sleep(120);
    expect((await nvml.readDevice(0, ["thermal"])).values.temperatureGpuCelsius).toBe(88);
  });

  it("keeps the last good scenario when a rewrite does not parse", async () => {
    writeFileSync(`${file.path}.broken`, '{"devices": [{"fields": {"temperatureGpuCelsius": 12');
    renameSync(`${file.path}.broken`, file.path);
    await sleep(120);
    expect((await nvml.readDevice(0, ["thermal"])).values.temperatureGpuCelsius).toBe(88);
    file.write(scenario(61));
    await sleep(120);
    expect((await nvml.readDevice(0, ["thermal"])).values.temperatureGpuCelsius).toBe(61);
  });

  it("loses a GPU at lostAfterSeconds: reads then reject with GPU_IS_LOST", async () => {
    const elapsed = Date.now() - initAt;
    if (elapsed < 1_500) await sleep(1_600 - elapsed);
    await expect(nvml.readDevice(1, ["thermal"])).rejects.toMatchObject({
      code: NVML_ERROR_GPU_IS_LOST,
      nvmlName: "GPU_IS_LOST",
    });
    await expect(nvml.readDevice(0, ["thermal"])).resolves.toMatchObject({ index: 0 });
  });
});
