// One schema for a proof and one for a verification key (contracts/groth16.ts), read by the
// verifier's registry and judge and by its native addon alike. They used to be two that
// disagreed: a key with "curve": "bn254" passed the registry and was refused by the addon.
import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { CURVE_NAMES, Groth16Proof, VerificationKey } from "../../contracts/index.js";
import { nativeVerifierAvailable, prepareKey } from "../../verifier/native.js";
import { checkProof, parseVerificationKey } from "../../verifier/src/schema.js";
import { ensureCircuit } from "../prover/fixtures.js";

let keyJson: string;
let proof: Record<string, unknown>;
let publicSignals: string[];

beforeAll(async () => {
  const multiplier = await ensureCircuit("multiplier");
  keyJson = await readFile(multiplier.vkey, "utf8");
  proof = JSON.parse(await readFile(multiplier.snarkjsProof, "utf8")) as Record<string, unknown>;
  publicSignals = JSON.parse(await readFile(multiplier.snarkjsPublic, "utf8")) as string[];
});

const withCurve = (json: string, curve: unknown) =>
  JSON.stringify({ ...(JSON.parse(json) as object), curve });

describe("the curve's names", () => {
  it.each(CURVE_NAMES)("a key and a proof over %s are taken", (curve) => {
    const key = withCurve(keyJson, curve);

    expect(VerificationKey.safeParse(JSON.parse(key)).success).toBe(true);
    expect(parseVerificationKey(key)).toBe(1);
    expect(checkProof({ ...proof, curve }, publicSignals, 1)).toMatchObject({ ok: true });
  });

  it("another curve is refused, by name", () => {
    expect(() => parseVerificationKey(withCurve(keyJson, "bls12381"))).toThrow(
      /^curve: "bls12381", want one of "bn128", "bn254"$/,
    );
    expect(checkProof({ ...proof, curve: "bls12381" }, publicSignals, 1)).toEqual({
      ok: false,
      reason: 'proof.curve: "bls12381", want one of "bn128", "bn254"',
    });
  });

  it("says what is wrong with a point, where", () => {
    const parsed = Groth16Proof.safeParse({ ...proof, pi_b: [["1", "2"], ["3"]] });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [["pi_b"], "2 elements, want 3"],
    ]);
  });
});

describe.skipIf(!nativeVerifierAvailable())("the registry and the native addon", () => {
  // Each key, as the verifier's circuit registry reads it and as its workers prepare it.
  const keys: [string, (json: string) => string][] = [
    ["snarkjs' own", (json) => json],
    ["curve bn254", (json) => withCurve(json, "bn254")],
    ["curve bls12381", (json) => withCurve(json, "bls12381")],
    ["no protocol", (json) => JSON.stringify({ ...JSON.parse(json), protocol: undefined })],
    ["IC one point short", (json) => JSON.stringify({ ...JSON.parse(json), IC: [] })],
  ];

  it.each(keys)("agree on a key: %s", (_name, edit) => {
    const key = edit(keyJson);
    const registry = (() => {
      try {
        return parseVerificationKey(key);
      } catch {
        return "refused";
      }
    })();
    const native = (() => {
      try {
        return prepareKey(key).nPublic;
      } catch {
        return "refused";
      }
    })();

    expect(native).toBe(registry);
  });
});
