// Input that is not a valid request gets 400 or 413 with a reason and changes nothing;
// input that is a valid request carrying something that is not a proof is stored and
// recorded as malformed, against the GPU that sent it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  type Workspace,
} from "./helpers.js";

const P = "21888242871839275222246405745257275088696311157297823662689037894645226208583";

describe("bad input", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let proofs: ProofPair[];
  let firstId: unknown;

  beforeAll(async () => {
    ({ ws, proofs } = await multiplierWorkspace("bad-input", 4));
    const gate = new GateChecker();
    gate.open();
    verifier = await start(ws, { checker: gate, bodyLimitBytes: 64 * 1024 });
    const first = await post(
      verifier.url,
      submission(proofs[0] as ProofPair, { circuit: "multiplier" }),
    );
    expect(first.status).toBe(202);
    firstId = first.body.id;
    await decided(verifier.url, firstId);
  });
  afterAll(async () => {
    await verifier?.close();
    await ws?.cleanup();
  });

  const good = () => submission(proofs[1] as ProofPair, { circuit: "multiplier" });

  it.each([
    ["not JSON", "{not json", /^body is not JSON/],
    ["empty body", "", /^body is not JSON/],
    ["a JSON array", "[1,2,3]", /expected object/],
  ])("400 for %s", async (_name, raw, reason) => {
    const reply = await post(verifier.url, undefined, raw);

    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatch(reason);
  });

  it.each([
    ["circuit of the wrong type", { circuit: 7 }, /^circuit: /],
    ["circuit id with a slash", { circuit: "../etc" }, /^circuit: /],
    ["no gpu", { gpu: undefined }, /^gpu: /],
    ["gpu uuid of the wrong type", { gpu: { uuid: 1, host: "h" } }, /^gpu\.uuid: /],
    ["no jobId", { jobId: undefined }, /^jobId: /],
    ["proof that is a string", { proof: "pi_a" }, /^proof: /],
    ["publicSignals not an array", { publicSignals: "33" }, /^publicSignals: /],
    [
      "a huge publicSignals array",
      { publicSignals: Array(5000).fill("1") },
      /^publicSignals: .*4096/,
    ],
    ["a huge pi_a", { proof: { pi_a: Array(1000).fill("1") } }, /^proof\.pi_a: /],
    ["signal of the wrong type", { publicSignals: [{ n: 1 }] }, /^publicSignals\.0: /],
    ["unknown circuit", { circuit: "nope" }, /unknown circuit "nope" \(registered: multiplier\)/],
    [
      "expected signals that are not numbers",
      { expectedPublicSignals: ["x"] },
      /expectedPublicSignals/,
    ],
    [
      "expected signals of the wrong count",
      { expectedPublicSignals: ["1", "2"] },
      /2 values, the circuit has 1/,
    ],
  ])("400 for %s", async (_name, change, reason) => {
    const reply = await post(verifier.url, { ...good(), ...change });

    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatch(reason);
  });

  it("413 for a body over the limit", async () => {
    const reply = await post(verifier.url, { ...good(), padding: "x".repeat(100 * 1024) });

    expect(reply.status).toBe(413);
    expect(reply.body.error).toMatch(/larger than 65536 bytes/);
  });

  // Functions: the proofs exist only once beforeAll has run.
  const P0 = () => (proofs[0] as ProofPair).proof;
  it.each([
    ["not a proof at all", () => ({ proof: { hello: "world" } }), /^proof\.pi_a: missing/],
    [
      "a coordinate above the field",
      () => ({ proof: { ...P0(), pi_a: [P, "1", "1"] } }),
      /not below the field modulus/,
    ],
    [
      "a coordinate that is not a number",
      () => ({ proof: { ...P0(), pi_c: ["0x12", "1", "1"] } }),
      /pi_c\[0\]: "0x12" is not a decimal integer/,
    ],
    [
      "pi_b with two coordinates",
      () => ({
        proof: {
          ...P0(),
          pi_b: [
            ["1", "2"],
            ["3", "4"],
          ],
        },
      }),
      /pi_b: 2 elements, want 3/,
    ],
    ["another protocol", () => ({ proof: { ...P0(), protocol: "plonk" } }), /protocol: "plonk"/],
    [
      "too many public signals",
      () => ({ publicSignals: ["33", "1"] }),
      /2 values, the circuit has 1/,
    ],
    [
      "a signal above the scalar field",
      () => ({ publicSignals: [P] }),
      /publicSignals\[0\]: not below/,
    ],
  ])("stores %s as malformed, with the reason", async (_name, change, reason) => {
    const body: Record<string, unknown> = {
      ...good(),
      ...change(),
      gpu: { uuid: "GPU-bad", host: "h" },
    };

    const reply = await post(verifier.url, body);

    expect(reply.status).toBe(202);
    const v = await decided(verifier.url, reply.body.id);
    expect(v).toMatchObject({ status: "checked", result: "malformed", uuid: "GPU-bad" });
    expect(v.reason).toMatch(reason);
    expect(v.proof, "kept whole for forensics").toEqual(body.proof);
  });

  it("takes the same proof twice as one submission, however it is spelled", async () => {
    const body = submission(proofs[2] as ProofPair, { circuit: "multiplier" });
    const first = await post(verifier.url, body);
    const proof = body.proof as { pi_a: string[] };
    // Other key order, a leading zero and a number where a string was: the same proof.
    const respelled = {
      ...body,
      proof: {
        pi_c: body.proof.pi_c,
        pi_b: body.proof.pi_b,
        pi_a: [`0${proof.pi_a[0]}`, ...proof.pi_a.slice(1)],
      },
      publicSignals: body.publicSignals.map(Number),
    };
    await decided(verifier.url, first.body.id);

    const second = await post(verifier.url, respelled);

    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, duplicate: true, status: "checked" });
    expect(second.body.proofHash).toBe(first.body.proofHash);
  });

  it("ignores a prover's wish about sampling", async () => {
    const reply = await post(verifier.url, {
      ...submission(proofs[3] as ProofPair, { circuit: "multiplier" }),
      sample: false,
      sampleRate: 0,
    });

    expect(reply.status).toBe(202);
    expect(await decided(verifier.url, reply.body.id)).toMatchObject({ status: "checked" });
  });

  it("lost nothing accepted before, and still serves", async () => {
    expect(await decided(verifier.url, firstId)).toMatchObject({
      status: "checked",
      result: "valid",
    });
    expect((await fetch(`${verifier.url}/healthz`)).status).toBe(200);
    const all = await getJson<{ verdicts: Array<{ status: string }> }>(
      `${verifier.url}/v1/verdicts`,
    );
    expect(all.verdicts.every((v) => v.status === "checked")).toBe(true);
  });

  it("400 for a bad verdicts query", async () => {
    const response = await fetch(`${verifier.url}/v1/verdicts?result=maybe&since=yesterday`);

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/result: .*since: /);
  });
});
