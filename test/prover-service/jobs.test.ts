// Jobs over HTTP and through the spool get proved, with a warm daemon per (GPU, circuit),
// and the proofs verify with snarkjs; the queue keeps priority order; a job that waits past
// its deadline is reported and still proved.

import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExposition, sampleValue } from "../../demo/src/exposition.js";
import type { RunningProverService } from "../../prover/service/src/index.js";
import { snarkjsVerify } from "../prover/fixtures.js";
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

describe("jobs over HTTP and the spool, three GPUs", () => {
  let ws: Workspace;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("jobs", 3, ["multiplier", "multi_io"]);
    prover = await start(ws, { spoolDir: ws.spool });
  });
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it("proves HTTP jobs in every witness form; the proofs verify", async () => {
    const multiplier = fixture(ws, "multiplier");
    const multiIo = fixture(ws, "multi_io");
    const wtns = await readFile(multiIo.wtns);
    const ids = await Promise.all([
      submitJob(prover.url, {
        circuit: "multiplier",
        witnessFile: multiplier.wtns,
        expectedPublicSignals: multiplier.publicSignals,
      }),
      submitJob(prover.url, { circuit: "multi_io", witness: wtns.toString("base64") }),
      submitJob(prover.url, { circuit: "multiplier", witnessValues: ["1", "33", "3", "11"] }),
    ]);
    const jobs = await Promise.all(ids.map((id) => finished(prover.url, id)));

    for (const job of jobs) {
      expect(job.state, JSON.stringify(job)).toBe("proved");
      const result = job.result as NonNullable<typeof job.result>;
      const vkey = job.circuit === "multi_io" ? multiIo.vkey : multiplier.vkey;
      expect(await snarkjsVerify(vkey, result.publicFile, result.proofFile)).toBe(true);
      expect(result.flagged).toBe(false);
      expect(job.attempts).toHaveLength(1);
      expect(job.attempts[0]?.backend).toBe("cpu");
    }
    expect(jobs[0]?.result?.publicSignals).toEqual(multiplier.publicSignals);
    expect(jobs[1]?.result?.publicSignals).toEqual(multiIo.publicSignals);
    expect(jobs[2]?.result?.publicSignals).toEqual(["33"]);
    // Three idle GPUs, three jobs at once: one each.
    expect(new Set(jobs.map((job) => job.result?.uuid)).size).toBe(3);
  });

  it("keeps the daemon warm: the next job on a GPU loads no zkey", async () => {
    const multiplier = fixture(ws, "multiplier");
    const before = await workers(prover.url);
    const withDaemon = before.filter((w) => w.daemons.multiplier !== undefined);
    expect(withDaemon.length).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      const id = await submitJob(prover.url, {
        circuit: "multiplier",
        witnessFile: multiplier.wtns,
      });
      expect((await finished(prover.url, id)).state).toBe("proved");
    }
    const after = await workers(prover.url);
    for (const worker of withDaemon) {
      const now = after.find((w) => w.uuid === worker.uuid);
      expect(now?.daemons.multiplier).toBe(worker.daemons.multiplier);
    }
    const scrape = parseExposition(await (await fetch(`${prover.url}/metrics`)).text());
    const loads = scrape.samples
      .filter(
        (s) =>
          s.name === "proofwatch_prover_phase_duration_seconds_count" &&
          s.labels.phase === "zkey_load" &&
          s.labels.circuit === "multiplier",
      )
      .reduce((sum, s) => sum + s.value, 0);
    const proved = scrape.samples
      .filter(
        (s) =>
          s.name === "proofwatch_prover_proofs_total" &&
          s.labels.circuit === "multiplier" &&
          s.labels.result === "proved",
      )
      .reduce((sum, s) => sum + s.value, 0);
    expect(loads).toBeLessThanOrEqual(3);
    expect(proved).toBeGreaterThanOrEqual(5);
  });

  it("proves spool files and moves them to done/ with their record", async () => {
    const multiplier = fixture(ws, "multiplier");
    const aside = join(ws.spool, ".spool-job-1.tmp");
    await writeFile(
      aside,
      JSON.stringify({
        circuit: "multiplier",
        witnessFile: multiplier.wtns,
        expectedPublicSignals: ["33"],
        priority: 2,
      }),
    );
    await rename(aside, join(ws.spool, "spool-job-1.json"));
    await writeFile(join(ws.spool, "broken.json"), "{ not json");

    const job = await until(async () => {
      const record = await getJob(prover.url, "spool-job-1").catch(() => undefined);
      return record?.state === "proved" ? record : undefined;
    }, "the spooled job");
    expect(job.source).toBe("spool");
    const result = job.result as NonNullable<typeof job.result>;
    expect(await snarkjsVerify(multiplier.vkey, result.publicFile, result.proofFile)).toBe(true);
    await until(
      () => (existsSync(join(ws.spool, "done", "spool-job-1.json")) ? true : undefined),
      "the spool file in done/",
    );
    const record = JSON.parse(
      await readFile(join(ws.spool, "done", "spool-job-1.result.json"), "utf8"),
    );
    expect(record).toMatchObject({ id: "spool-job-1", state: "proved" });
    await until(
      () => (existsSync(join(ws.spool, "rejected", "broken.error.txt")) ? true : undefined),
      "the broken spool file in rejected/",
    );
  });

  it("refuses bad requests with 400 and unknown circuits with 404", async () => {
    const multiplier = fixture(ws, "multiplier");
    expect((await post(`${prover.url}/v1/jobs`, "nonsense")).status).toBe(400);
    expect(
      (await post(`${prover.url}/v1/jobs`, { circuit: "multiplier" })).status,
      "no witness",
    ).toBe(400);
    expect(
      (await post(`${prover.url}/v1/jobs`, { circuit: "nope", witnessFile: multiplier.wtns }))
        .status,
    ).toBe(404);
    const reply = await post(`${prover.url}/v1/jobs`, {
      circuit: "multiplier",
      witnessValues: ["1", "x"],
    });
    expect(reply.status).toBe(400);
    expect(String(reply.body.error)).toContain("witnessValues");
  });
});

describe("queue order and deadlines, one GPU", () => {
  let ws: Workspace;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("order", 1);
    // The only GPU starts quarantined, so every job below waits in the queue together.
    await writeQuarantine(ws, [gpuUuid(0)]);
    prover = await start(ws, { quarantineFile: ws.quarantineFile });
  });
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it("runs higher priority first, arrival order within one; reports a missed deadline", async () => {
    const multiplier = fixture(ws, "multiplier");
    const job = (priority: number, extra: Record<string, unknown> = {}) =>
      submitJob(prover.url, {
        circuit: "multiplier",
        witnessFile: multiplier.wtns,
        priority,
        ...extra,
      });
    const ids = [
      await job(0, { id: "p0" }),
      await job(5, { id: "p5-first" }),
      await job(1, { id: "p1", deadline: "200ms" }),
      await job(5, { id: "p5-second" }),
      await job(3, { id: "p3" }),
    ];
    await until(
      async () => ((await getJob(prover.url, "p1")).deadlineExceededAt ? true : undefined),
      "the deadline report",
    );
    expect((await getJob(prover.url, "p0")).deadlineExceededAt).toBeNull();
    const scrape = parseExposition(await (await fetch(`${prover.url}/metrics`)).text());
    expect(sampleValue(scrape, "proofwatch_prover_jobs_deadline_exceeded_total")).toBe(1);
    expect(sampleValue(scrape, "proofwatch_prover_jobs_queued")).toBe(5);

    await writeQuarantine(ws, []);
    const jobs = await Promise.all(ids.map((id) => finished(prover.url, id)));

    const order = [...jobs]
      .sort(
        (a, b) =>
          Date.parse(a.attempts[0]?.startedAt ?? "") - Date.parse(b.attempts[0]?.startedAt ?? ""),
      )
      .map((j) => j.id);
    expect(order).toEqual(["p5-first", "p5-second", "p3", "p1", "p0"]);
    expect(jobs.every((j) => j.state === "proved")).toBe(true);
  });
});
