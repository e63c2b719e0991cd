// Failed runs: a prover daemon killed mid-proof and a bad witness are recorded with their
// reason and retried on other GPUs, at most --max-retries times; the service stays up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
} from "./helpers.js";

describe("failures", () => {
  let ws: Workspace;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("failures", 3, ["multiplier", "multi_io"]);
    prover = await start(ws, { maxRetries: 2 });
  });
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it("retries a job whose daemon was killed on another GPU", async () => {
    const victim = gpuUuid(0);
    await post(`${prover.url}/v1/admin/faults`, { uuid: victim, fault: "stall", stallMs: 30_000 });
    const id = await submitJob(prover.url, {
      circuit: "multiplier",
      witnessFile: fixture(ws, "multiplier").wtns,
    });
    const pid = await until(async () => {
      const job = await getJob(prover.url, id);
      if (job.state !== "running" || job.attempts.at(-1)?.uuid !== victim) return undefined;
      return (await workers(prover.url)).find((w) => w.uuid === victim)?.daemons.multiplier;
    }, "the daemon proving the job");
    await post(`${prover.url}/v1/admin/faults`, { uuid: victim, fault: null });

    process.kill(pid, "SIGKILL");
    const job = await finished(prover.url, id);

    expect(job.state).toBe("proved");
    expect(job.attempts).toHaveLength(2);
    expect(job.attempts[0]).toMatchObject({
      uuid: victim,
      result: "failed",
      reason: "prover_crash",
    });
    expect(job.attempts[0]?.error).toContain("SIGKILL");
    expect(job.result?.uuid).not.toBe(victim);
    expect((await fetch(`${prover.url}/healthz`)).status).toBe(200);
    // The worker lives on and starts a fresh daemon for its next job.
    const again = await Promise.all(
      Array.from({ length: 3 }, () =>
        submitJob(prover.url, {
          circuit: "multiplier",
          witnessFile: fixture(ws, "multiplier").wtns,
        }),
      ),
    );
    const results = await Promise.all(again.map((other) => finished(prover.url, other)));
    expect(results.map((r) => r.result?.uuid)).toContain(victim);
  });

  it("starts a fresh daemon when a warm one died between jobs", async () => {
    const pids = (await workers(prover.url)).flatMap((w) => Object.values(w.daemons));
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    await until(
      async () =>
        (await workers(prover.url)).every((w) => Object.keys(w.daemons).length === 0)
          ? true
          : undefined,
      "the dead daemons to be noticed",
    );
    const ids = await Promise.all(
      Array.from({ length: 3 }, () =>
        submitJob(prover.url, {
          circuit: "multiplier",
          witnessFile: fixture(ws, "multiplier").wtns,
        }),
      ),
    );
    for (const job of await Promise.all(ids.map((id) => finished(prover.url, id)))) {
      expect(job.state).toBe("proved");
      expect(job.attempts).toHaveLength(1);
    }
  });

  it("fails a bad witness after max retries, each run on a different GPU", async () => {
    const id = await submitJob(prover.url, {
      circuit: "multiplier",
      witness: Buffer.from("not a witness file").toString("base64"),
    });
    const job = await finished(prover.url, id);

    expect(job.state).toBe("failed");
    expect(job.failure?.reason).toBe("bad_witness");
    expect(job.attempts).toHaveLength(3);
    expect(new Set(job.attempts.map((a) => a.uuid)).size).toBe(3);
    for (const attempt of job.attempts) {
      expect(attempt).toMatchObject({ result: "failed", reason: "bad_witness" });
    }
  });

  it("records a witness for another circuit as a mismatch", async () => {
    const id = await submitJob(prover.url, {
      circuit: "multiplier",
      witnessFile: fixture(ws, "multi_io").wtns,
    });
    const job = await finished(prover.url, id);
    expect(job.state).toBe("failed");
    expect(job.failure?.reason).toBe("witness_mismatch");

    const scrape = parseExposition(await (await fetch(`${prover.url}/metrics`)).text());
    expect(
      sampleValue(scrape, "proofwatch_prover_job_failures_total", { reason: "bad_witness" }),
    ).toBe(3);
    expect(
      sampleValue(scrape, "proofwatch_prover_job_failures_total", { reason: "prover_crash" }),
    ).toBe(1);
    expect(sampleValue(scrape, "proofwatch_prover_job_retries_total")).toBe(1 + 2 + 2);
  });
});
