// JSON nested to exhaust the stack, anywhere in a body or a spool file, gets a clear refusal
// (400) or a `malformed` verdict with the reason, never a 500, and the service stays up.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseJson } from "../../common/schema.js";
import { canonicalJson } from "../../verifier/src/schema.js";
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
  type Verdict,
  type Workspace,
} from "./helpers.js";

const LEVELS = 100_000;
const deepArray = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;

describe("parseJson's depth limit", () => {
  it("takes nesting up to the limit and refuses one level more, saying where", () => {
    expect(parseJson(deepArray(MAX_JSON_DEPTH))).toMatchObject({ ok: true });
    expect(parseJson(deepArray(MAX_JSON_DEPTH + 1))).toEqual({
      ok: false,
      error: `not JSON: nested deeper than ${MAX_JSON_DEPTH} levels (at position ${MAX_JSON_DEPTH})`,
    });
    expect(parseJson(deepObject(LEVELS))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/nested deeper than 64 levels/),
    });
    expect(parseJson("[[1]]", 1)).toMatchObject({ ok: false });
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    const text = JSON.stringify({ a: "[".repeat(1000), b: `\\"${"{".repeat(1000)}`, c: [[1]] });

    expect(parseJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it("never quotes the text in its reason", () => {
    const reply = parseJson("root:x:0:0:root:/root:/bin/bash");

    expect(reply).toEqual({ ok: false, error: "not JSON: unexpected token" });
    expect(JSON.stringify(parseJson('{"a": "secret-value" x}'))).not.toContain("secret");
  });
});

describe("canonicalJson", () => {
  it("serialises a value nested 100 000 deep without recursion", () => {
    let value: unknown = [];
    for (let i = 0; i < LEVELS; i++) value = { k: [value] };

    const text = canonicalJson(value);

    expect(text.length).toBe(LEVELS * 8 + 2);
    expect(text.startsWith('{"k":[{"k":[')).toBe(true);
  });
});

describe("deep nesting in submissions", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let proofs: ProofPair[];

  beforeAll(async () => {
    ({ ws, proofs } = await multiplierWorkspace("nesting", 3));
    const gate = new GateChecker();
    gate.open();
    verifier = await start(ws, { checker: gate, spoolDir: ws.spool, rescanMs: 200 });
  });
  afterAll(async () => {
    await verifier?.close();
    await ws?.cleanup();
  });

  // The body as text: `deep` replaces the JSON value of one field.
  const body = (field: string, deep: string) => {
    const marker = '"__deep__"';
    const value = { ...submission(proofs[0] as ProofPair, { circuit: "multiplier" }) };
    const path = field.split(".");
    let at: Record<string, unknown> = value;
    for (const key of path.slice(0, -1)) {
      at[key] = { ...(at[key] as Record<string, unknown>) };
      at = at[key] as Record<string, unknown>;
    }
    at[path.at(-1) as string] = "__deep__";
    return JSON.stringify(value).replace(marker, deep);
  };

  it.each([
    ["arrays inside the proof", "proof.pi_a", deepArray(LEVELS)],
    ["objects inside the proof", "proof.extra", deepObject(LEVELS)],
    ["arrays in publicSignals", "publicSignals", deepArray(LEVELS)],
    ["objects in the gpu", "gpu.extra", deepObject(LEVELS)],
    ["an unknown field", "padding", deepArray(LEVELS)],
  ])("400 for %s, 100 000 levels", async (_name, field, deep) => {
    const reply = await post(verifier.url, undefined, body(field, deep));

    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatch(/^body is not JSON: nested deeper than 64 levels/);
  });

  it("still serves and takes a good proof afterwards", async () => {
    expect((await fetch(`${verifier.url}/healthz`)).status).toBe(200);
    const reply = await post(
      verifier.url,
      submission(proofs[1] as ProofPair, { circuit: "multiplier" }),
    );
    expect(reply.status).toBe(202);
    expect(await decided(verifier.url, reply.body.id)).toMatchObject({ result: "valid" });
  });

  it("records deep spool files as malformed against the GPU, or rejects a deep meta.json", async () => {
    const pair = proofs[2] as ProofPair;
    const meta = {
      circuit: "multiplier",
      gpu: { uuid: "GPU-deep", host: "prover-1" },
      jobId: "deep-1",
    };
    const write = async (name: string, files: Record<string, string>) => {
      const tmp = join(ws.spool, `.${name}`);
      await mkdir(tmp);
      for (const [file, text] of Object.entries(files)) await writeFile(join(tmp, file), text);
      await rename(tmp, join(ws.spool, name));
    };
    await write("a-deep-proof", {
      "proof.json": deepArray(LEVELS),
      "public.json": JSON.stringify(pair.publicSignals),
      "meta.json": JSON.stringify(meta),
    });
    await write("b-deep-public", {
      "proof.json": JSON.stringify(pair.proof),
      "public.json": deepObject(LEVELS),
      "meta.json": JSON.stringify({ ...meta, jobId: "deep-2" }),
    });
    await write("c-deep-meta", {
      "proof.json": JSON.stringify(pair.proof),
      "public.json": JSON.stringify(pair.publicSignals),
      "meta.json": deepArray(LEVELS),
    });

    const found = await until(async () => {
      const list = (
        await getJson<{ verdicts: Verdict[] }>(`${verifier.url}/v1/verdicts?gpu=GPU-deep`)
      ).verdicts;
      return list.length === 2 && list.every((v) => v.status === "checked") ? list : undefined;
    }, "the deep spool proofs' verdicts");
    expect(found.map((v) => [v.result, v.reason])).toEqual([
      ["malformed", "proof.json: not JSON: nested deeper than 64 levels (at position 64)"],
      ["malformed", "public.json: not JSON: nested deeper than 64 levels (at position 320)"],
    ]);
    const reason = await until(
      () =>
        readFile(join(ws.spool, ".rejected/c-deep-meta/reason.txt"), "utf8").catch(() => undefined),
      "the deep meta.json rejected",
    );
    expect(reason).toBe("meta.json: not JSON: nested deeper than 64 levels (at position 64)\n");
    expect((await fetch(`${verifier.url}/healthz`)).status).toBe(200);
  });
});
