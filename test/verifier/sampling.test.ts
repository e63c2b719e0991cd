// Sampling is the verifier's: at a base rate of 0 nothing is checked, until a GPU gives a bad
// proof; then that GPU alone is checked at 100% until it gives N valid proofs in a row.
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseExposition, sampleValue } from "../../demo/src/exposition.js";
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

const SUSPECT = "GPU-aaaaaaaa-0000-0000-0000-000000000001";
const BYSTANDER = "GPU-bbbbbbbb-0000-0000-0000-000000000002";
const RECOVER_AFTER = 3;

interface Gpu {
  uuid: string;
  probation: boolean;
  validStreak: number;
  samplingRate: number;
  lastInvalidAt: string | null;
  counts: Record<string, number>;
}

describeWithNative("sampling and probation", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let proofs: ProofPair[];
  let next = 0;

  beforeAll(async () => {
    ({ ws, proofs } = await multiplierWorkspace("sampling", 12));
    verifier = await start(ws, { baseRate: 0, recoverAfter: RECOVER_AFTER });
  });
  afterAll(async () => {
    await verifier?.close();
    await ws?.cleanup();
  });

  async function send(uuid: string, extra: Record<string, unknown> = {}) {
    const reply = await post(verifier.url, {
      ...submission(proofs[next++] as ProofPair, { circuit: "multiplier", uuid }),
      ...extra,
    });
    expect(reply.status).toBe(202);
    return decided(verifier.url, reply.body.id);
  }
  const gpu = async (uuid: string) =>
    (await getJson<{ gpus: Gpu[] }>(`${verifier.url}/v1/gpus`)).gpus.find((g) => g.uuid === uuid);
  const rate = async (uuid: string) =>
    sampleValue(
      parseExposition(await (await fetch(`${verifier.url}/metrics`)).text()),
      "proofwatch_verifier_sampling_rate",
      { uuid },
    );

  it("skips at rate 0 and records the decision", async () => {
    const v = await send(SUSPECT);

    expect(v).toMatchObject({ status: "skipped", result: null });
    expect(v.sampling).toEqual({ checked: false, rate: 0, reason: "rate 0" });
  });

  it("puts a GPU that gave an invalid proof on probation: checked at 100%", async () => {
    const bad = await send(SUSPECT, { expectedPublicSignals: ["34"] });

    expect(bad).toMatchObject({ status: "checked", result: "invalid" });
    expect(await gpu(SUSPECT)).toMatchObject({ probation: true, samplingRate: 1, validStreak: 0 });
    expect((await gpu(SUSPECT))?.lastInvalidAt).not.toBeNull();
    expect(await rate(SUSPECT)).toBe(1);
  });

  it("checks every proof of that GPU, and only of that GPU, until N valid in a row", async () => {
    for (let i = 0; i < RECOVER_AFTER; i++) {
      expect(await send(BYSTANDER)).toMatchObject({ status: "skipped" });
      const v = await send(SUSPECT);
      expect(v).toMatchObject({ status: "checked", result: "valid" });
      expect(v.sampling.reason).toBe(`gpu on probation: ${i} of ${RECOVER_AFTER} valid in a row`);
    }

    expect(await gpu(SUSPECT)).toMatchObject({ probation: false, samplingRate: 0 });
    expect(await rate(SUSPECT)).toBe(0);
    expect(await send(SUSPECT)).toMatchObject({ status: "skipped" });
    expect((await gpu(SUSPECT))?.counts).toMatchObject({
      valid: RECOVER_AFTER,
      invalid: 1,
      skipped: 2,
    });
  });
});
