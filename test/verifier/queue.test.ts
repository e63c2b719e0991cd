// A bounded queue: past its size new submissions get 429 with Retry-After, nothing is stored
// for them, and what was accepted before is checked once the workers catch up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExposition, sampleValue } from "../../demo/src/exposition.js";
import {
  decided,
  GateChecker,
  getJson,
  multiplierWorkspace,
  type ProofPair,
  post,
  type RunningVerifier,
  start,
  submission,
  until,
  type Workspace,
} from "./helpers.js";

describe("bounded queue", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let gate: GateChecker;
  let proofs: ProofPair[];

  beforeAll(async () => {
    ({ ws, proofs } = await multiplierWorkspace("queue", 6));
    gate = new GateChecker();
    verifier = await start(ws, { checker: gate, queueSize: 3 });
  });
  afterAll(async () => {
    await verifier?.close();
    await ws?.cleanup();
  });

  it("answers 429 with Retry-After when full, and loses nothing accepted", async () => {
    const sent = proofs.map((p) => submission(p, { circuit: "multiplier" }));
    // The first goes straight to the (held) worker, the next three fill the queue.
    const accepted = [];
    for (const body of sent.slice(0, 4)) {
      const reply = await post(verifier.url, body);
      expect(reply.status, JSON.stringify(reply.body)).toBe(202);
      accepted.push(reply.body.id);
    }

    const refused = await post(verifier.url, sent[4]);

    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatch(/queue full/);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    const metrics = parseExposition(await (await fetch(`${verifier.url}/metrics`)).text());
    expect(sampleValue(metrics, "proofwatch_verifier_queue_depth")).toBe(3);
    expect(
      sampleValue(metrics, "proofwatch_verifier_submissions_rejected_total", {
        reason: "queue_full",
      }),
    ).toBe(1);
    const stored = await getJson<{ verdicts: unknown[] }>(`${verifier.url}/v1/verdicts`);
    expect(stored.verdicts).toHaveLength(4);

    gate.open();
    for (const id of accepted) expect((await decided(verifier.url, id)).status).toBe("checked");
    // Later batches take everything that waited at once.
    expect(gate.batches).toEqual([1, 3]);
    const retried = await until(async () => {
      const reply = await post(verifier.url, sent[4]);
      return reply.status === 202 ? reply : undefined;
    }, "the refused proof to be taken");
    expect((await decided(verifier.url, retried.body.id)).status).toBe("checked");
  });
});
