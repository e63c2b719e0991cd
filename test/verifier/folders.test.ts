// The two folders the verifier watches: circuits (keys come, change and go without a
// restart) and the spool (proofs written as files, taken once complete).
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  decided,
  describeWithNative,
  fixtureProof,
  getJson,
  installCircuit,
  type ProofPair,
  post,
  type RunningVerifier,
  rerandomized,
  start,
  submission,
  until,
  type Verdict,
  type Workspace,
  workspace,
  writeJson,
} from "./helpers.js";

describeWithNative("circuits and spool folders", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let mul: Awaited<ReturnType<typeof fixtureProof>>;
  let proofs: ProofPair[];

  beforeAll(async () => {
    ws = await workspace("folders");
    mul = await fixtureProof("multiplier");
    proofs = await rerandomized(mul, mul.fixture.vkey, 4);
    verifier = await start(ws, { spoolDir: ws.spool, rescanMs: 1000 });
  });
  afterAll(async () => {
    await verifier?.close();
    await ws?.cleanup();
  });

  const verdicts = async (query = "") =>
    (await getJson<{ verdicts: Verdict[] }>(`${verifier.url}/v1/verdicts?${query}`)).verdicts;

  it("registers a circuit whose folder appears, without a restart", async () => {
    const before = await post(verifier.url, submission(mul, { circuit: "multiplier" }));
    expect(before.status).toBe(400);

    await installCircuit(ws, mul.fixture);
    const after = await until(async () => {
      const reply = await post(verifier.url, submission(mul, { circuit: "multiplier" }));
      return reply.status === 202 ? reply : undefined;
    }, "the new circuit");

    expect(await decided(verifier.url, after.body.id)).toMatchObject({ result: "valid" });
  });

  it("keeps the last good key when the file turns bad, and takes a sample rate", async () => {
    const folder = join(ws.circuits, "multiplier");
    await writeFile(join(folder, "verification_key.json"), '{"protocol": "groth16"');
    await writeJson(join(folder, "verifier.json"), { sampleRate: 0 });
    await verifier.rescan();
    const status = await getJson<{ circuits: Array<Record<string, unknown>> }>(
      `${verifier.url}/v1/circuits`,
    );
    expect(status.circuits[0]).toMatchObject({ id: "multiplier", nPublic: 1 });
    expect(String(status.circuits[0]?.error)).toMatch(/invalid verification key: not JSON/);

    await installCircuit(ws, mul.fixture);
    await verifier.rescan();
    const reply = await post(
      verifier.url,
      submission(proofs[0] as ProofPair, { circuit: "multiplier" }),
    );
    expect(await decided(verifier.url, reply.body.id)).toMatchObject({
      status: "skipped",
      sampling: { rate: 0 },
    });
    await writeJson(join(folder, "verifier.json"), {});
    await verifier.rescan();
  });

  it("takes spool folders once renamed into place, and records unreadable proofs", async () => {
    const meta = {
      circuit: "multiplier",
      gpu: { uuid: "GPU-spool", host: "prover-9" },
      jobId: "spool-1",
    };
    const write = async (name: string, files: Record<string, string>) => {
      const tmp = join(ws.spool, `.${name}`);
      await mkdir(tmp);
      for (const [file, text] of Object.entries(files)) await writeFile(join(tmp, file), text);
      await rename(tmp, join(ws.spool, name));
    };
    const pair = proofs[1] as ProofPair;
    await write("good", {
      "proof.json": JSON.stringify(pair.proof),
      "public.json": JSON.stringify(pair.publicSignals),
      "meta.json": JSON.stringify(meta),
    });
    await write("garbled", {
      "proof.json": "{ this is not",
      "public.json": JSON.stringify(pair.publicSignals),
      "meta.json": JSON.stringify({ ...meta, jobId: "spool-2" }),
    });
    await write("anonymous", { "proof.json": "{}", "public.json": "[]", "meta.json": "{}" });

    const found = await until(async () => {
      const list = await verdicts("gpu=GPU-spool");
      return list.length === 2 && list.every((v) => v.status === "checked") ? list : undefined;
    }, "the spool proofs' verdicts");
    // Taken in name order: "garbled" before "good".
    expect(found.map((v) => [v.result, v.reason?.slice(0, 24) ?? null])).toEqual([
      ["malformed", "proof.json: not JSON: Ex"],
      ["valid", null],
    ]);
    await until(
      async () => ((await readdir(ws.spool)).length === 1 ? true : undefined),
      "folders taken",
    );
    const rejected = await readFile(join(ws.spool, ".rejected/anonymous/reason.txt"), "utf8");
    expect(rejected).toMatch(/^meta\.json: circuit: /);
  });

  it("parks proofs of a removed circuit and checks them when it returns", async () => {
    await rm(join(ws.circuits, "multiplier"), { recursive: true });
    await verifier.rescan();
    expect(
      (await post(verifier.url, submission(proofs[2] as ProofPair, { circuit: "multiplier" })))
        .status,
    ).toBe(400);

    await installCircuit(ws, mul.fixture);
    await verifier.rescan();

    const reply = await post(
      verifier.url,
      submission(proofs[2] as ProofPair, { circuit: "multiplier" }),
    );
    expect(await decided(verifier.url, reply.body.id)).toMatchObject({ result: "valid" });
  });
});
