// Environments that end while native threads still work for them: a worker thread
// terminated with a hung read and a running XID watcher must not crash the process.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadNvml, packageRoot } from "../../native/index.js";
import { sleep, useFakeNvml } from "./fake-scenario.js";

const SLOW_MS = 700;
const nvml = loadNvml();

beforeAll(() => {
  useFakeNvml({
    devices: [{ delays: { nvmlDeviceGetTemperature: SLOW_MS } }, {}],
    events: [{ id: "boot", device: 1, xid: 43 }],
  });
  nvml.init();
});

afterAll(() => nvml.shutdown());

// Plain CommonJS in the worker: it loads the addon itself, as a second environment would.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const addon = require(workerData.addonPath);
addon.init();
addon.startEvents(() => {});
const fields = addon.fieldNames();
const thermal = 1 << addon.groupNames().indexOf("thermal");
const read = (index, numbers) => addon.readDevice(index, thermal, numbers, new Int32Array(fields.length));
read(0, new Float64Array(fields.length));
const numbers = new Float64Array(fields.length);
read(1, numbers).then(() => parentPort.postMessage(numbers[fields.indexOf("temperatureGpuCelsius")]));
`;

describe("environment teardown", () => {
  it("survives worker threads that end with reads in flight and events watched", async () => {
    const addonPath = join(packageRoot(), "build", "Release", "proofwatch_nvml.node");
    for (let i = 0; i < 3; i++) {
      const worker = new Worker(workerSource, { eval: true, workerData: { addonPath } });
      const temperature = await new Promise<unknown>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      expect(temperature).toBe(32);
      await worker.terminate();
    }
    // Let the abandoned slow reads finish against environments that no longer exist.
    await sleep(SLOW_MS * 2);
    const reading = await nvml.readDevice(0, ["thermal"]);
    expect(reading.values.temperatureGpuCelsius).toBe(32);
    // The workers' init() calls were released with them; ours still holds NVML.
    expect(nvml.deviceCount()).toBe(2);
  });
});
