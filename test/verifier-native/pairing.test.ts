import { describe, expect, it } from "vitest";
import { nativeVerifierAvailable, pairingSelfTest } from "../../verifier/native.js";

const available = nativeVerifierAvailable();

describe.skipIf(!available)("BN254 pairing (compiled self-checks)", () => {
  it.each([1, 2, 0x5eed])(
    "bilinear, non-degenerate, with correct tower and subgroup arithmetic (seed %i)",
    (seed) => {
      const checks = pairingSelfTest(seed);

      const failed = checks.filter((c) => !c.ok).map((c) => c.name);
      expect(failed).toEqual([]);
      const names = checks.map((c) => c.name);
      expect(names).toContain("bilinearity: e(aP, bQ) = e(P, Q)^(ab)");
      expect(names).toContain("non-degenerate: e(P, Q) != 1");
      expect(names).toContain("e(P, Q) has order r");
      expect(names).toContain("G2 subgroup test agrees with [r]Q == 0");
      expect(names).toContain("G2 subgroup test rejects points outside G2");
    },
  );
});
