// The known-answer canary in the prover service: each GPU is checked at start and gets no
// work until its canary passed; a GPU whose canary fails gets none at all; a GPU released
// from quarantine is checked again before it takes work; a between-jobs run gives way to
// a waiting job. The canary is the real `proofwatch-prover canary` on the grid emulator
// (--canary-emulated: the GPUs here are fake-nvml's), a fault injected into one GPU's run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExposition, sampleValue } from "../../demo/src/exposition.js";
import { parseProverArgs } from "../../prover/service/src/cli.js";
import type { RunningProverService } from "../../prover/service/src/index.js";
import { proverPath } from "../prover/fixtures.js";
import { describeWithCanary } from "../prover-cuda/canary-support.js";
import {
  finished,
  fixture,
  getJob,
  gpuUuid,
  start,
  submitJob,
  until,
  type Workspace,
  workers,
  workspace,
  writeQuarantine,
} from "./helpers.js";

const TIMEOUT = 120_000;
const canary = (overrides: Record<string, unknown> = {}) => ({
  canary: { emulated: true, binary: proverPath, memoryShare: 0.02, intervalMs: 0, ...overrides },
});

async function scrape(base: string) {
  return parseExposition(await (await fetch(`${base}/metrics`)).text());
}

async function canaryState(base: string, uuid: string) {
  return (await workers(base)).find((w) => w.uuid === uuid)?.canary;
}

describeWithCanary("a GPU whose canary fails", () => {
  const HEALTHY = gpuUuid(0);
  const SICK = gpuUuid(1);
  let ws: Workspace;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("canary-fail", 2);
    prover = await start(ws, canary({ faults: new Map([[SICK, "g1_msm"]]) }));
  }, TIMEOUT);
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it(
    "gets no work, while the GPU that passed proves everything",
    async () => {
      const witnessFile = fixture(ws, "multiplier").wtns;
      // Submitted at once: both GPUs are still being checked, so the jobs wait.
      const ids = await Promise.all(
        Array.from({ length: 4 }, () =>
          submitJob(prover.url, { circuit: "multiplier", witnessFile }),
        ),
      );
      const jobs = await Promise.all(ids.map((id) => finished(prover.url, id, TIMEOUT)));

      expect(jobs.map((job) => job.state)).toEqual(["proved", "proved", "proved", "proved"]);
      expect(jobs.flatMap((job) => job.attempts.map((a) => a.uuid))).toEqual(
        Array(4).fill(HEALTHY),
      );
      // The sick GPU's canary may still be running when the healthy one has proved all four
      // (a loaded machine): it took no job meanwhile, and it ends failed.
      await until(
        async () => ((await canaryState(prover.url, SICK)) === "failed" ? true : undefined),
        "the sick GPU's canary to fail",
        TIMEOUT,
      );
      expect(await canaryState(prover.url, HEALTHY)).toBeNull();
    },
    TIMEOUT,
  );

  it("counts the run, the failed check's mismatches and the success per GPU", async () => {
    const metrics = await scrape(prover.url);
    const value = (name: string, labels: Record<string, string>) =>
      sampleValue(metrics, name, labels);

    expect(value("proofwatch_prover_canary_runs_total", { uuid: SICK, result: "failed" })).toBe(1);
    expect(value("proofwatch_prover_canary_runs_total", { uuid: HEALTHY, result: "passed" })).toBe(
      1,
    );
    expect(value("proofwatch_prover_canary_success", { uuid: SICK })).toBe(0);
    expect(value("proofwatch_prover_canary_success", { uuid: HEALTHY })).toBe(1);
    expect(
      value("proofwatch_prover_canary_mismatches_total", { uuid: SICK, check: "g1_msm" }),
    ).toBe(1);
    expect(
      metrics.samples.filter((s) => s.name === "proofwatch_prover_canary_mismatches_total"),
    ).toHaveLength(1);
    const lastSuccess = value("proofwatch_prover_canary_last_success_timestamp_seconds", {
      uuid: HEALTHY,
    });
    expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000);
    expect(
      metrics.samples.filter(
        (s) => s.name === "proofwatch_prover_canary_last_success_timestamp_seconds",
      ),
    ).toHaveLength(1);
    expect(value("proofwatch_prover_canary_duration_seconds_count", {})).toBe(2);
  });
});

describeWithCanary("a GPU released from quarantine", () => {
  const GPU = gpuUuid(0);
  let ws: Workspace;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("canary-release", 1);
    await writeQuarantine(ws, [GPU]);
    prover = await start(ws, {
      quarantineFile: ws.quarantineFile,
      quarantineIntervalMs: 200,
      ...canary(),
    });
  }, TIMEOUT);
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it(
    "takes work only after a canary passed on it again",
    async () => {
      await until(
        async () => ((await canaryState(prover.url, GPU)) === null ? true : undefined),
        "first canary",
        TIMEOUT,
      );
      const id = await submitJob(prover.url, {
        circuit: "multiplier",
        witnessFile: fixture(ws, "multiplier").wtns,
      });

      await writeQuarantine(ws, []);
      // Released from the list, held by the canary: still no run.
      await until(
        async () => ((await canaryState(prover.url, GPU)) === "running" ? true : undefined),
        "the release canary",
        10_000,
      );
      expect((await getJob(prover.url, id)).attempts).toEqual([]);
      const job = await finished(prover.url, id, TIMEOUT);

      expect(job.state).toBe("proved");
      const runs = sampleValue(await scrape(prover.url), "proofwatch_prover_canary_runs_total", {
        uuid: GPU,
        result: "passed",
      });
      expect(runs).toBe(2);
    },
    TIMEOUT,
  );
});

describeWithCanary("the between-jobs canary", () => {
  const GPU = gpuUuid(0);
  let ws: Workspace;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("canary-interval", 1);
    prover = await start(ws, canary({ intervalMs: 200 }));
  }, TIMEOUT);
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it(
    "runs again on an idle GPU, and gives way at once to a job that arrives",
    async () => {
      const passed = async () =>
        sampleValue(await scrape(prover.url), "proofwatch_prover_canary_runs_total", {
          uuid: GPU,
          result: "passed",
        }) ?? 0;
      await until(async () => ((await passed()) >= 2 ? true : undefined), "two canaries", TIMEOUT);
      // Wait for a run in progress (each takes seconds on the emulator), then submit.
      await until(
        async () => ((await canaryState(prover.url, GPU)) === "running" ? true : undefined),
        "a between-jobs canary",
        TIMEOUT,
      );
      const before = await passed();
      const submitted = Date.now();
      const id = await submitJob(prover.url, {
        circuit: "multiplier",
        witnessFile: fixture(ws, "multiplier").wtns,
      });
      const job = await finished(prover.url, id, TIMEOUT);

      expect(job.state).toBe("proved");
      const startedAt = Date.parse(job.attempts[0]?.startedAt ?? "");
      // Stopped for the job, not waited for (a run takes seconds here).
      expect(startedAt - submitted).toBeLessThan(500);
      expect(await passed()).toBeLessThanOrEqual(before + 1);
    },
    TIMEOUT,
  );
});

describe("canary options", () => {
  const base = ["--circuits", "/tmp/c", "--no-verifier", "--out", "/tmp/o"];

  it("parses the interval, memory share and emulator faults", () => {
    const options = parseProverArgs([
      ...base,
      "--canary-interval",
      "2m30s",
      "--canary-memory-share",
      "0.25",
      "--canary-emulated",
      "--canary-fault",
      `${gpuUuid(1)}=memory`,
    ]);
    if (options === "help") throw new Error("help");
    expect(options.canary).toMatchObject({
      intervalMs: 150_000,
      memoryShare: 0.25,
      emulated: true,
      faults: new Map([[gpuUuid(1), "memory"]]),
    });
    const defaults = parseProverArgs(base);
    if (defaults === "help") throw new Error("help");
    expect(defaults.canary).toMatchObject({
      intervalMs: 300_000,
      memoryShare: 0.5,
      emulated: false,
    });
  });

  it.each([
    [["--canary-memory-share", "0.99"], "--canary-memory-share must be a number from 0 to 0.95"],
    [["--canary-interval", "5 minutes"], "invalid duration"],
    [["--canary-fault", "GPU-1=h-bitflip"], "want UUID=KIND"],
  ])("refuses %j", (args, message) => {
    expect(() => parseProverArgs([...base, ...args])).toThrow(message);
  });

  it(
    "is off, with the GPUs working, under auto when the prover has no canary command; refused under cuda",
    async () => {
      // /bin/echo stands for a prover built before the canary: `canary --help` is no usage.
      const ws = await workspace("canary-old-prover", 1);
      try {
        await expect(
          start(ws, { backend: "cuda", canary: { binary: "/bin/echo" } }),
        ).rejects.toThrow("/bin/echo has no canary command");
        const prover = await start(ws, { canary: { binary: "/bin/echo" } });
        try {
          expect((await workers(prover.url)).map((w) => w.canary)).toEqual([null]);
          const id = await submitJob(prover.url, {
            circuit: "multiplier",
            witnessFile: fixture(ws, "multiplier").wtns,
          });
          expect((await finished(prover.url, id)).state).toBe("proved");
        } finally {
          await prover.close();
        }
      } finally {
        await ws.cleanup();
      }
    },
    TIMEOUT,
  );

  it("refuses a canary fault without the emulator", async () => {
    const ws = await workspace("canary-options", 1);
    try {
      await expect(
        start(ws, { canary: { binary: proverPath, faults: new Map([[gpuUuid(0), "ntt"]]) } }),
      ).rejects.toThrow("--canary-fault needs --canary-emulated");
    } finally {
      await ws.cleanup();
    }
  });
});
