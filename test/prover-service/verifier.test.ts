// Every proof goes to the verifier with the GPU's uuid, host, the job id and the job's
// expected public signals; a verifier that is down gets them later. A GPU with an injected
// fault makes proofs that fail `snarkjs groth16 verify` (and the real verifier's check),
// while the others' pass.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProofSubmission, ReceivedProofSubmission } from "../../contracts/index.js";
import { parseExposition, sampleValue } from "../../demo/src/exposition.js";
import { freePort } from "../../demo/src/ports.js";
import type { JobRecord, RunningProverService } from "../../prover/service/src/index.js";
import { snarkjsVerify } from "../prover/fixtures.js";
import {
  describeWithNative,
  type RunningVerifier,
  start as startVerifier,
} from "../verifier/helpers.js";
import {
  finished,
  fixture,
  getJob,
  gpuUuid,
  type Recorder,
  start,
  startRecorder,
  submitJob,
  until,
  type Workspace,
  workspace,
} from "./helpers.js";

const FAULTY = gpuUuid(1);

async function proveMany(prover: RunningProverService, ws: Workspace, n: number) {
  const multiplier = fixture(ws, "multiplier");
  const ids = await Promise.all(
    Array.from({ length: n }, () =>
      submitJob(prover.url, {
        circuit: "multiplier",
        witnessFile: multiplier.wtns,
        expectedPublicSignals: multiplier.publicSignals,
      }),
    ),
  );
  return Promise.all(ids.map((id) => finished(prover.url, id)));
}

describe("delivery to a verifier, one GPU faulty", () => {
  let ws: Workspace;
  let recorder: Recorder;
  let prover: RunningProverService;
  let jobs: JobRecord[];

  beforeAll(async () => {
    ws = await workspace("verifier", 3);
    recorder = await startRecorder();
    prover = await start(ws, {
      verifierUrl: recorder.url,
      faults: new Map([[FAULTY, { kind: "h-bitflip" }]]),
    });
    // Six jobs at once on three idle GPUs: every GPU proves at least one.
    jobs = await proveMany(prover, ws, 6);
  });
  afterAll(async () => {
    await prover?.close();
    await recorder?.close();
    await ws?.cleanup();
  });

  it("posts every proof with uuid, host, job id and expected signals", async () => {
    await until(() => (recorder.bodies.length === 6 ? true : undefined), "six deliveries");
    for (const job of jobs) {
      const body = recorder.bodies.find((b) => b.jobId === job.id);
      expect(body, job.id).toBeDefined();
      expect(body).toMatchObject({
        circuit: "multiplier",
        gpu: { uuid: job.result?.uuid, host: "test-host" },
        jobId: job.id,
        expectedPublicSignals: fixture(ws, "multiplier").publicSignals,
        publicSignals: job.result?.publicSignals,
      });
      expect(String(body?.prover)).toMatch(/^proofwatch-prover-daemon\/.+ \(cpu\)$/);
      expect((body?.proof as { pi_a?: unknown } | undefined)?.pi_a).toHaveLength(3);
      // The body is the contract's message, and the verifier's edge takes it.
      expect(ProofSubmission.safeParse(body).error).toBeUndefined();
      expect(ReceivedProofSubmission.safeParse(body).error).toBeUndefined();
      expect((await getJob(prover.url, job.id)).verifier.state).toBe("accepted");
    }
    // Each delivery carries the job's trace context.
    for (const headers of recorder.headers) {
      expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    }
  });

  it("makes invalid proofs on the faulty GPU only", async () => {
    const vkey = fixture(ws, "multiplier").vkey;
    expect(new Set(jobs.map((job) => job.result?.uuid)).size).toBe(3);
    const verdicts = await Promise.all(
      jobs.map(async (job) => {
        const result = job.result as NonNullable<JobRecord["result"]>;
        return {
          uuid: result.uuid,
          fault: result.faultInjected,
          valid: await snarkjsVerify(vkey, result.publicFile, result.proofFile),
        };
      }),
    );
    for (const verdict of verdicts) {
      expect(verdict.valid, verdict.uuid).toBe(verdict.uuid !== FAULTY);
      expect(verdict.fault).toBe(verdict.uuid === FAULTY ? "h-bitflip" : null);
    }
  });
});

describe("a verifier that is down", () => {
  let ws: Workspace;
  let recorder: Recorder | undefined;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("verifier-down", 1);
  });
  afterAll(async () => {
    await prover?.close();
    await recorder?.close();
    await ws?.cleanup();
  });

  it("keeps the proof and delivers it when the verifier comes back", async () => {
    const port = await freePort();
    prover = await start(ws, { verifierUrl: `http://127.0.0.1:${port}` });
    const [job] = await proveMany(prover, ws, 1);
    const id = (job as JobRecord).id;
    await until(async () => {
      const scrape = parseExposition(await (await fetch(`${prover.url}/metrics`)).text());
      return sampleValue(scrape, "proofwatch_prover_verifier_submissions_total", {
        result: "error",
      }) >= 1
        ? scrape
        : undefined;
    }, "a failed delivery").then((scrape) => {
      expect(sampleValue(scrape, "proofwatch_prover_verifier_backlog")).toBe(1);
    });
    expect((await getJob(prover.url, id)).verifier.state).toBe("pending");

    recorder = await startRecorder(port);
    await until(
      async () => ((await getJob(prover.url, id)).verifier.state === "accepted" ? true : undefined),
      "the delivery after the verifier is back",
    );
    expect(recorder.bodies.map((b) => b.jobId)).toEqual([id]);
    const scrape = parseExposition(await (await fetch(`${prover.url}/metrics`)).text());
    expect(sampleValue(scrape, "proofwatch_prover_verifier_backlog")).toBe(0);
  });
});

// --- the real verifier, where its native addon is built ---------------------------------

describeWithNative("against the real verifier", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("real-verifier", 2);
    // The workspace's circuits folders hold verification_key.json too: one folder serves both.
    verifier = await startVerifier(
      { circuits: ws.circuits, db: join(ws.dir, "verifier.db") },
      { workers: 1 },
    );
    prover = await start(ws, {
      verifierUrl: verifier.url,
      faults: new Map([[FAULTY, { kind: "c-bitflip" }]]),
    });
  });
  afterAll(async () => {
    await prover?.close();
    await verifier?.close();
    await ws?.cleanup();
  });

  it("gets valid verdicts for the healthy GPU and invalid ones for the faulty GPU", async () => {
    const jobs = await proveMany(prover, ws, 4);
    expect(new Set(jobs.map((job) => job.result?.uuid)).size).toBe(2);
    const verdicts = await until(async () => {
      const body = (await (await fetch(`${verifier.url}/v1/verdicts`)).json()) as {
        verdicts: Array<{ jobId: string; uuid: string; host: string; result: string | null }>;
      };
      return body.verdicts.length === 4 && body.verdicts.every((v) => v.result !== null)
        ? body.verdicts
        : undefined;
    }, "four verdicts");
    for (const verdict of verdicts) {
      const job = jobs.find((j) => j.id === verdict.jobId);
      expect(verdict.uuid).toBe(job?.result?.uuid);
      expect(verdict.host).toBe("test-host");
      expect(verdict.result).toBe(verdict.uuid === FAULTY ? "invalid" : "valid");
    }
  });
});
