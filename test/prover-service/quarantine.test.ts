// The quarantine list: a listed GPU takes no new job within seconds and its jobs go to the
// others; the job it is proving is finished and flagged (default) or cancelled and moved.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../common/listen.js";
import { parseExposition, sampleValue } from "../../demo/src/exposition.js";
import type { RunningProverService } from "../../prover/service/src/index.js";
import {
  finished,
  fixture,
  getJob,
  gpuUuid,
  post,
  start,
  submitJob,
  until,
  type Workspace,
  workers,
  workspace,
  writeQuarantine,
} from "./helpers.js";

const SICK = gpuUuid(0);

async function runningOn(base: string, id: string, uuid: string): Promise<void> {
  await until(async () => {
    const job = await getJob(base, id);
    return job.state === "running" && job.attempts.at(-1)?.uuid === uuid ? true : undefined;
  }, `job ${id} running on ${uuid}`);
}

async function quarantinedWithin(base: string, uuid: string, ms: number): Promise<void> {
  await until(
    async () =>
      (await workers(base)).find((w) => w.uuid === uuid)?.quarantined ? true : undefined,
    `${uuid} quarantined`,
    ms,
  );
}

describe("quarantine with the default setting (flag)", () => {
  let ws: Workspace;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("quarantine-flag", 3);
    await writeQuarantine(ws, []);
    prover = await start(ws, { quarantineFile: ws.quarantineFile, quarantineIntervalMs: 2000 });
  });
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it("stops giving the GPU jobs within seconds and flags the job it finishes", async () => {
    const witnessFile = fixture(ws, "multiplier").wtns;
    // A slow GPU, so that its job is still in flight when the list changes.
    expect(
      (await post(`${prover.url}/v1/admin/faults`, { uuid: SICK, fault: "stall", stallMs: 4000 }))
        .status,
    ).toBe(200);
    const inFlight = await submitJob(prover.url, { circuit: "multiplier", witnessFile });
    await runningOn(prover.url, inFlight, SICK);

    const listed = Date.now();
    await writeQuarantine(ws, [SICK]);
    await quarantinedWithin(prover.url, SICK, 2500);
    expect(Date.now() - listed).toBeLessThan(2500);

    const later = await Promise.all(
      Array.from({ length: 4 }, () =>
        submitJob(prover.url, { circuit: "multiplier", witnessFile }),
      ),
    );
    const done = await Promise.all(later.map((id) => finished(prover.url, id)));
    for (const job of done) {
      expect(job.state).toBe("proved");
      expect(job.attempts.map((a) => a.uuid)).not.toContain(SICK);
    }

    const flagged = await finished(prover.url, inFlight);
    expect(flagged.state).toBe("proved");
    expect(flagged.result?.uuid).toBe(SICK);
    expect(flagged.result?.flagged).toBe(true);

    const scrape = parseExposition(await (await fetch(`${prover.url}/metrics`)).text());
    expect(sampleValue(scrape, "proofwatch_prover_workers_quarantined")).toBe(1);
    expect(sampleValue(scrape, "proofwatch_prover_jobs_in_flight", { uuid: SICK })).toBe(0);
  });

  it("gives the GPU jobs again once it leaves the list", async () => {
    await post(`${prover.url}/v1/admin/faults`, { uuid: SICK, fault: null });
    await writeQuarantine(ws, []);
    await until(
      async () => ((await workers(prover.url)).every((w) => !w.quarantined) ? true : undefined),
      "release",
    );
    const witnessFile = fixture(ws, "multiplier").wtns;
    // Three jobs at once on three idle GPUs: one each, SICK included.
    const ids = await Promise.all(
      Array.from({ length: 3 }, () =>
        submitJob(prover.url, { circuit: "multiplier", witnessFile }),
      ),
    );
    const jobs = await Promise.all(ids.map((id) => finished(prover.url, id)));
    expect(jobs.map((job) => job.result?.uuid)).toContain(SICK);
  });
});

describe("quarantine with --on-quarantine cancel", () => {
  let ws: Workspace;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("quarantine-cancel", 3);
    prover = await start(ws, {
      quarantineFile: ws.quarantineFile,
      onQuarantine: "cancel",
      faults: new Map([[SICK, { kind: "stall", stallMs: 60_000 }]]),
    });
  });
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it("cancels the job in flight and proves it on a healthy GPU", async () => {
    const witnessFile = fixture(ws, "multiplier").wtns;
    const id = await submitJob(prover.url, { circuit: "multiplier", witnessFile });
    await runningOn(prover.url, id, SICK);
    const daemonPid = await until(
      async () => (await workers(prover.url)).find((w) => w.uuid === SICK)?.daemons.multiplier,
      "the stalled daemon",
    );

    await writeQuarantine(ws, [SICK]);
    const job = await finished(prover.url, id, 10_000);

    expect(job.state).toBe("proved");
    expect(job.attempts[0]).toMatchObject({
      uuid: SICK,
      result: "cancelled",
      reason: "quarantined",
    });
    expect(job.attempts[1]?.uuid).not.toBe(SICK);
    expect(job.result?.flagged).toBe(false);
    // Cancelling killed the stalled daemon.
    expect(() => process.kill(daemonPid, 0)).toThrow();
    const scrape = parseExposition(await (await fetch(`${prover.url}/metrics`)).text());
    expect(
      sampleValue(scrape, "proofwatch_prover_proofs_total", {
        uuid: SICK,
        circuit: "multiplier",
        result: "cancelled",
      }),
    ).toBe(1);
  });
});

describe("quarantine list over HTTP", () => {
  let ws: Workspace;
  let prover: RunningProverService;
  let server: Server;
  let answer: { status: number; body: unknown } = { status: 200, body: {} };

  beforeAll(async () => {
    ws = await workspace("quarantine-url", 2);
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body));
    });
    const bound = await listen(server, { host: "127.0.0.1", port: 0 });
    answer = { status: 200, body: { version: 1, gpus: [{ uuid: gpuUuid(1) }], hosts: [] } };
    prover = await start(ws, {
      quarantineUrl: `http://127.0.0.1:${bound.port}/v1/quarantine`,
      quarantineIntervalMs: 100,
    });
  });
  afterAll(async () => {
    await prover?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await ws?.cleanup();
  });

  it("follows GET /v1/quarantine and keeps the last list while it fails", async () => {
    const state = async () =>
      Object.fromEntries((await workers(prover.url)).map((w) => [w.uuid, w.quarantined]));
    // Read before the service took its first job.
    expect(await state()).toEqual({ [gpuUuid(0)]: false, [gpuUuid(1)]: true });

    answer = { status: 503, body: { error: "down" } };
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await state())[gpuUuid(1)]).toBe(true);
    answer = { status: 200, body: { version: 1, gpus: "nonsense" } };
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await state())[gpuUuid(1)]).toBe(true);

    answer = { status: 200, body: { version: 1, gpus: [], hosts: [{ host: "test-host" }] } };
    await until(
      async () => (Object.values(await state()).every(Boolean) ? true : undefined),
      "the whole host quarantined",
    );
    answer = { status: 200, body: { version: 1, gpus: [], hosts: [] } };
    await until(
      async () => (Object.values(await state()).every((q) => !q) ? true : undefined),
      "release",
    );
  });
});
