// SIGKILL after 202: the proof was committed before the reply, so a restart checks it, and
// only it: what had a verdict before the kill is not checked again. A kill between the
// commit and the reply is covered too: the prover's retry finds the same submission.
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { find, parseExposition } from "../../demo/src/exposition.js";
import { CRASH_AFTER_ACCEPT_ENV, PAUSE_CHECKS_ENV } from "../../verifier/src/service.js";
import {
  type ChildVerifier,
  decided,
  describeWithNative,
  multiplierWorkspace,
  type ProofPair,
  post,
  spawnVerifier,
  submission,
  type Verdict,
  type Workspace,
} from "./helpers.js";

function statuses(db: string): Record<string, number> {
  const handle = new Database(db, { readonly: true });
  try {
    const rows = handle
      .prepare("SELECT status, count(*) AS n FROM submissions GROUP BY status")
      .all() as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  } finally {
    handle.close();
  }
}

async function checkedTotal(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return find(parseExposition(text), "proofwatch_verifier_proofs_checked_total").reduce(
    (sum, sample) => sum + sample.value,
    0,
  );
}

describeWithNative("crash and restart", () => {
  let ws: Workspace;
  let proofs: ProofPair[];
  let args: string[];
  let child: ChildVerifier | undefined;

  beforeAll(async () => {
    ({ ws, proofs } = await multiplierWorkspace("crash", 7));
    args = ["--circuits", ws.circuits, "--db", ws.db, "--workers", "1"];
  });
  afterAll(async () => {
    await child?.stop("SIGKILL");
    await ws?.cleanup();
  });

  const body = (i: number) =>
    submission(proofs[i] as ProofPair, { circuit: "multiplier", jobId: `job-${i}` });

  it("checks after a restart what was accepted before SIGKILL, and nothing twice", async () => {
    // Two proofs checked before any crash.
    child = await spawnVerifier(args);
    const early: Verdict[] = [];
    for (const i of [0, 1]) {
      const reply = await post(child.url, body(i));
      early.push(await decided(child.url, reply.body.id));
    }
    await child.stop("SIGKILL");

    // Three accepted (202) by a verifier that checks nothing, then killed.
    child = await spawnVerifier(args, { [PAUSE_CHECKS_ENV]: "1" });
    const late = [];
    for (const i of [2, 3, 4]) {
      const reply = await post(child.url, body(i));
      expect(reply.status).toBe(202);
      late.push(reply.body.id);
    }
    await child.stop("SIGKILL");
    expect(statuses(ws.db)).toEqual({ checked: 2, accepted: 3 });

    child = await spawnVerifier(args);
    for (const id of late) {
      expect(await decided(child.url, id)).toMatchObject({ status: "checked", result: "valid" });
    }

    expect(await checkedTotal(child.url)).toBe(3);
    for (const before of early) {
      const after = await decided(child.url, before.id);
      expect(after.checkedAt).toBe(before.checkedAt);
    }
    expect(statuses(ws.db)).toEqual({ checked: 5 });
    expect(child.log()).toMatch(/checking proofs accepted before the restart.*pending=3/);
    await child.stop("SIGTERM");
  });

  it("keeps a submission committed before a crash that cost the reply; the retry finds it", async () => {
    child = await spawnVerifier(args, { [CRASH_AFTER_ACCEPT_ENV]: "1" });
    await expect(post(child.url, body(5))).rejects.toThrow();
    await child.exited;
    expect(statuses(ws.db)).toEqual({ checked: 5, accepted: 1 });

    child = await spawnVerifier(args);
    const retry = await post(child.url, body(5));

    expect([200, 202]).toContain(retry.status);
    expect(retry.body.duplicate).toBe(true);
    expect(await decided(child.url, retry.body.id)).toMatchObject({ result: "valid" });
    expect(statuses(ws.db)).toEqual({ checked: 6 });
    await child.stop("SIGTERM");
    expect(await child.exited).toBe(0);
  });
});
