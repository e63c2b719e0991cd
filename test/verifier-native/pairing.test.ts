import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { addonPath, nativeVerifierAvailable, pairingSelfTest } from "../../verifier/native.js";

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
      expect(names.some((n) => n.startsWith("Fq operators agree with the portable C++"))).toBe(
        true,
      );
    },
  );

  // The backend is chosen once, when the addon loads, so the portable one needs a process
  // of its own.
  it("passes the same checks on the portable field backend (PROOFWATCH_FIELD_BACKEND=portable)", async () => {
    const script = `const b = require(${JSON.stringify(addonPath())});
      process.stdout.write(JSON.stringify(b.pairingSelfTest(7)));`;

    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
      env: { ...process.env, PROOFWATCH_FIELD_BACKEND: "portable" },
    });

    const checks = JSON.parse(stdout) as Array<[string, boolean]>;
    expect(checks.filter(([, ok]) => !ok).map(([name]) => name)).toEqual([]);
    expect(checks.map(([name]) => name)).toContain("bilinearity: e(aP, bQ) = e(P, Q)^(ab)");
    expect(checks.map(([name]) => name)).toContain(
      "Fq operators agree with the portable C++ (operators on portable)",
    );
  });
});
