// Replays are judged, never hidden: the same proof sent for another job, by another GPU or
// with another expectation is a submission of its own, judged against its own job and, when
// the proof was recorded before for another job or GPU, flagged as a replay and recorded
// invalid. Only a retry (same job, GPU and expectation) is folded into the first submission.
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDatabase } from "../../common/sqlite.js";
import { parseExposition, sampleValue } from "../../demo/src/exposition.js";
import { MIGRATIONS, Store } from "../../verifier/src/store.js";
import {
  decided,
  describeWithNative,
  getJson,
  multiplierWorkspace,
  type ProofPair,
  post,
  type RunningVerifier,
  start,
  submission,
  type Workspace,
} from "./helpers.js";

const FIRST_GPU = "GPU-aaaaaaaa-0000-0000-0000-00000000000a";
const OTHER_GPU = "GPU-bbbbbbbb-0000-0000-0000-00000000000b";

interface Row {
  id: number;
  status: string;
  result: string | null;
  reason: string | null;
  uuid: string;
  jobId: string;
  replayOf: number | null;
  sampling: { checked: boolean; reason: string };
}

describeWithNative("replays", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let proofs: ProofPair[];
  let first: ReturnType<typeof submission> & { expectedPublicSignals: unknown[] };
  let firstId: number;

  beforeAll(async () => {
    ({ ws, proofs } = await multiplierWorkspace("replays", 2));
    // Base rate 0: nothing is checked by chance, so every check seen here is a rule's.
    verifier = await start(ws, { baseRate: 0 });
    first = {
      ...submission(proofs[0] as ProofPair, {
        circuit: "multiplier",
        uuid: FIRST_GPU,
        host: "prover-a",
        jobId: "job-1",
      }),
      expectedPublicSignals: (proofs[0] as ProofPair).publicSignals,
    };
    const reply = await post(verifier.url, first);
    expect(reply.status).toBe(202);
    firstId = reply.body.id as number;
    expect(await decided(verifier.url, firstId)).toMatchObject({ status: "skipped" });
  });
  afterAll(async () => {
    await verifier?.close();
    await ws?.cleanup();
  });

  const judged = async (body: unknown): Promise<Row> => {
    const reply = await post(verifier.url, body);
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    expect(reply.body.duplicate).toBeUndefined();
    expect(reply.body.id).not.toBe(firstId);
    return (await decided(verifier.url, reply.body.id)) as unknown as Row;
  };

  it("folds a retry of the same job from the same GPU with the same expectation", async () => {
    // Respelled: the numbers as numbers, the expectation too.
    const retry = {
      ...first,
      publicSignals: first.publicSignals.map(Number),
      expectedPublicSignals: first.publicSignals.map(Number),
    };

    const reply = await post(verifier.url, retry);

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: firstId, duplicate: true, status: "skipped" });
  });

  it.each([
    ["for another job", { jobId: "job-2" }],
    ["by another GPU", { gpu: { uuid: OTHER_GPU, host: "prover-a" } }],
    ["from another host", { gpu: { uuid: FIRST_GPU, host: "prover-b" } }],
    [
      "by another GPU for another job",
      { jobId: "job-3", gpu: { uuid: OTHER_GPU, host: "prover-b" } },
    ],
  ])(
    "judges the same proof %s as a replay: checked, invalid, pointing at the first",
    async (_name, change) => {
      const v = await judged({ ...first, ...change });

      expect(v).toMatchObject({ status: "checked", result: "invalid", replayOf: firstId });
      expect(v.reason).toMatch(/^replay of submission \d+: .*\(pairing check: passed\)$/);
      expect(v.sampling).toMatchObject({ checked: true });
      expect(v.sampling.reason).toMatch(/replay of submission \d+: always checked/);
    },
  );

  it("judges the same proof for other expected signals against them: invalid, no replay", async () => {
    const v = await judged({ ...first, expectedPublicSignals: ["34"] });

    expect(v).toMatchObject({ status: "checked", result: "invalid", replayOf: null });
    expect(v.reason).toMatch(/differ from the job's expected ones \(pairing check: passed\)/);
  });

  it("folds a retry of a replay into the replay, not into the first", async () => {
    const replay = { ...first, jobId: "job-4" };
    const v = await judged(replay);

    const again = await post(verifier.url, replay);

    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: v.id, duplicate: true });
  });

  it("shows replays per GPU, in the verdicts, and counts them", async () => {
    const gpus = await getJson<{ gpus: Array<{ uuid: string; counts: { replays: number } }> }>(
      `${verifier.url}/v1/gpus`,
    );
    const replays = Object.fromEntries(gpus.gpus.map((g) => [g.uuid, g.counts.replays]));
    const listed = await getJson<{ verdicts: Row[] }>(`${verifier.url}/v1/verdicts?replay=1`);
    const scrape = parseExposition(await (await fetch(`${verifier.url}/metrics`)).text());

    // job-2, from another host and job-4 came from FIRST_GPU; the two others from OTHER_GPU.
    expect(replays).toEqual({ [FIRST_GPU]: 3, [OTHER_GPU]: 2 });
    expect(listed.verdicts).toHaveLength(5);
    expect(listed.verdicts.every((v) => v.replayOf === firstId && v.result === "invalid")).toBe(
      true,
    );
    expect(
      sampleValue(scrape, "proofwatch_verifier_proof_replays_total", {
        circuit: "multiplier",
        uuid: OTHER_GPU,
      }),
    ).toBe(2);
  });

  it("never counts a replay as a valid result of its job", async () => {
    const all = await getJson<{ verdicts: Row[] }>(`${verifier.url}/v1/verdicts?limit=100`);

    expect(all.verdicts.filter((v) => v.result === "valid")).toEqual([]);
  });
});

it("migrates a database from before replays: rows kept, one proof may have several rows", async () => {
  const { ws } = await multiplierWorkspace("replays-migration", 1);
  try {
    const old = openDatabase(ws.db, MIGRATIONS.slice(0, 1));
    old
      .prepare(
        `INSERT INTO submissions (proof_hash, circuit, gpu_uuid, host, job_id, source,
           public_signals_json, received_at, status, sample_checked, sample_rate, sample_reason)
         VALUES ('h', 'c', 'GPU-1', 'host', 'job-1', 'http', '[]', 1, 'skipped', 0, 0, 'rate 0')`,
      )
      .run();
    old
      .prepare(
        "INSERT INTO gpus (uuid, host, first_seen_at, last_seen_at, skipped) VALUES ('GPU-1', 'host', 1, 1, 1)",
      )
      .run();
    old.close();

    const store = new Store(ws.db);
    try {
      const replay = store.firstSubmission("c", "h");
      const inserted = store.transaction(() =>
        store.insert(
          {
            proofHash: "h",
            circuit: "c",
            uuid: "GPU-1",
            host: "host",
            prover: null,
            jobId: "job-2",
            source: "http",
            proofJson: "{}",
            publicSignalsJson: "[]",
            expectedPublicSignalsJson: null,
            receivedAt: 2,
            replayOf: replay?.id ?? null,
            submittedBy: "bearer:test",
          },
          { checked: true, rate: 1, reason: "test" },
        ),
      );

      expect(replay?.id).toBe(1);
      expect(inserted.id).toBe(2);
      expect(store.verdict(1)).toMatchObject({ jobId: "job-1", replayOf: null });
      expect(store.verdict(2)).toMatchObject({ jobId: "job-2", replayOf: 1 });
      expect(store.gpus(() => 1)[0]?.counts).toMatchObject({ skipped: 1, replays: 1 });
    } finally {
      store.close();
    }
  } finally {
    await ws.cleanup();
  }
});
