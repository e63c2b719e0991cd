// Energy per proof: the prover service reads each GPU's NVML energy counter as a job starts
// and as it ends, and adds the difference to proofwatch_prover_energy_joules_total. The GPUs
// are fake-nvml's, GPU 0's counter advancing at a known 400 W, GPU 1 without the counter
// (NOT_SUPPORTED, as some boards answer): it proves unmeasured, with no series.
import { writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { find, parseExposition, sampleValue } from "../../demo/src/exposition.js";
import type { JobRecord, RunningProverService } from "../../prover/service/src/index.js";
import {
  finished,
  fixture,
  gpuUuid,
  start,
  submitJob,
  type Workspace,
  workspace,
} from "./helpers.js";

const TIMEOUT = 120_000;
const WATTS = 400;
const MEASURED = gpuUuid(0);
const UNMEASURED = gpuUuid(1);

async function scrape(base: string) {
  return parseExposition(await (await fetch(`${base}/metrics`)).text());
}

/** How long the job's one attempt took, in seconds, by the service's own timestamps. */
function attemptSeconds(job: JobRecord): number {
  const [attempt] = job.attempts;
  if (!attempt?.endedAt) throw new Error(`job ${job.id} has no finished attempt`);
  return (Date.parse(attempt.endedAt) - Date.parse(attempt.startedAt)) / 1000;
}

describe("energy per proof", () => {
  let ws: Workspace;
  let prover: RunningProverService;
  const jobs: JobRecord[] = [];

  beforeAll(async () => {
    ws = await workspace("energy", 2);
    // The workspace's scenario, with the two GPUs' energy counters as this test needs them.
    await writeFile(
      process.env.FAKE_NVML_SCENARIO as string,
      JSON.stringify({
        devices: [
          {
            uuid: MEASURED,
            // millijoules: 400 W from a start well above 0
            fields: { totalEnergyMillijoules: { start: 5_000_000, perSecond: WATTS * 1000 } },
          },
          { uuid: UNMEASURED, fields: { totalEnergyMillijoules: "NOT_SUPPORTED" } },
        ],
      }),
    );
    prover = await start(ws);
    const witnessFile = fixture(ws, "multiplier").wtns;
    // One at a time on each GPU: the service hands jobs to the least recently used idle GPU.
    for (let round = 0; round < 2; round++) {
      const ids = await Promise.all([
        submitJob(prover.url, { circuit: "multiplier", witnessFile }),
        submitJob(prover.url, { circuit: "multiplier", witnessFile }),
      ]);
      for (const id of ids) jobs.push(await finished(prover.url, id, TIMEOUT));
    }
  }, TIMEOUT);
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it("adds each proved job's energy on its GPU, within what the counter gave over the job", async () => {
    expect(jobs.map((job) => job.state)).toEqual(["proved", "proved", "proved", "proved"]);
    const onMeasured = jobs.filter((job) => job.attempts[0]?.uuid === MEASURED);
    expect(onMeasured.length).toBeGreaterThan(0);
    const metrics = await scrape(prover.url);
    const joules = sampleValue(metrics, "proofwatch_prover_energy_joules_total", {
      circuit: "multiplier",
      uuid: MEASURED,
    });
    // The reads sit inside each attempt (begin before the daemon is asked, end after it
    // answered, on the GPU's own thread): at most 400 W times the attempts' time, with 50 ms
    // a job for the end read to be served; counting across jobs would add the time between
    // them (the next round waits for the 200 ms polls of the last).
    const upper = onMeasured.reduce((sum, job) => sum + WATTS * (attemptSeconds(job) + 0.05), 0);
    expect(joules).toBeGreaterThan(0);
    expect(joules).toBeLessThanOrEqual(upper);
    // And at least the proving itself: the daemon's own total, which lies between the reads.
    const proving = onMeasured.reduce(
      (sum, job) => sum + (job.attempts[0]?.timings?.total ?? 0),
      0,
    );
    expect(proving).toBeGreaterThan(0);
    expect(joules).toBeGreaterThanOrEqual(WATTS * proving - 0.001 * onMeasured.length);
    const proofs = sampleValue(metrics, "proofwatch_prover_proofs_total", {
      circuit: "multiplier",
      uuid: MEASURED,
      result: "proved",
    });
    expect(proofs).toBe(onMeasured.length);
  });

  it("leaves out a GPU without an energy counter, whose proofs still count", async () => {
    const metrics = await scrape(prover.url);
    expect(find(metrics, "proofwatch_prover_energy_joules_total", { uuid: UNMEASURED })).toEqual(
      [],
    );
    const proved = jobs.filter((job) => job.attempts[0]?.uuid === UNMEASURED).length;
    expect(proved).toBeGreaterThan(0);
    expect(
      sampleValue(metrics, "proofwatch_prover_proofs_total", {
        circuit: "multiplier",
        uuid: UNMEASURED,
        result: "proved",
      }),
    ).toBe(proved);
  });
});
