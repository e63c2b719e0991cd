// A driver that hangs while the prover service initialises NVML to find its GPUs: the service's
// JS thread never waits on it (the calls run off the thread under a deadline), and a driver
// that stays hung past the deadline counts as no GPU: the service says so and stops (with
// --cpu-workers 0) rather than staying stuck. (fake-nvml's timed delay stands for the hang. One case a file: fake-nvml reads its
// scenario afresh only while no one holds NVML initialised, and the hung call still does.)
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, describe, expect, it } from "vitest";
import { gpuUuid, start, type Workspace, workspace } from "./helpers.js";

const HANG_MS = 8000;
/** The service's deadline for each NVML call (prover/service/src/gpus.ts). */
const DEADLINE_MS = 5000;
/** Longer than any pause of a JS thread that never waits on the driver, well short of a hang. */
const BLOCKED_MS = 1000;

describe("the prover service while NVML initialisation hangs", () => {
  let ws: Workspace | undefined;
  afterAll(async () => {
    await ws?.cleanup();
  });

  it("finds no GPU once the deadline passes, never blocking the JS thread", async () => {
    ws = await workspace("hung-nvml", 2);
    // workspace() pointed FAKE_NVML_SCENARIO at this file; the delay makes nvmlInit_v2 hang.
    const devices = [0, 1].map((i) => ({ uuid: gpuUuid(i) }));
    await writeFile(
      join(ws.dir, "nvml-scenario.json"),
      JSON.stringify({ devices, delays: { nvmlInit_v2: HANG_MS } }),
    );
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const started = Date.now();
    await expect(start(ws, { cpuWorkers: 0 })).rejects.toThrow(/no GPU found/);
    const tookMs = Date.now() - started;
    loopDelay.disable();
    expect(loopDelay.max / 1e6).toBeLessThan(BLOCKED_MS);
    expect(tookMs).toBeGreaterThanOrEqual(DEADLINE_MS - 100);
    expect(tookMs).toBeLessThan(HANG_MS);
  }, 30_000);
});
