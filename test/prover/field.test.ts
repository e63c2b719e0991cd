/**
 * Fr, Fq and Fq2 arithmetic of the prover (through prover-testkit) against BigInt, on
 * edge values and seeded random ones, on both field backends (bn254/ff/backend.h): the one
 * chosen from CPUID, and the portable C++ forced with PROOFWATCH_FIELD_BACKEND=portable.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fq, Fq2, type Fq2Element, Fr, modInv, type PrimeField } from "../helpers/bn254.js";
import { Rng } from "../helpers/random.js";
import { describeWithTestkit, mismatches } from "./prover-run.js";
import { decode, encode, Testkit, TestkitError } from "./testkit.js";

const rng = Rng.fromEnv("field");
const RANDOM_CASES = 150;

/** Values where carries, borrows and the final reduction are most likely to go wrong. */
function edgeValues(p: bigint): bigint[] {
  return [
    0n,
    1n,
    2n,
    p - 1n,
    p - 2n,
    (p - 1n) / 2n,
    (p + 1n) / 2n,
    2n ** 64n - 1n,
    2n ** 64n,
    2n ** 128n + 1n,
    2n ** 192n - 1n,
    2n ** 253n,
    p - 2n ** 64n,
  ];
}

function pairs(p: bigint): Array<[bigint, bigint]> {
  const edges = edgeValues(p);
  const out: Array<[bigint, bigint]> = edges.flatMap((a) =>
    edges.map((b): [bigint, bigint] => [a, b]),
  );
  for (let i = 0; i < RANDOM_CASES; i++) out.push([rng.below(p), rng.below(p)]);
  return out;
}

const portableEnv = { ...process.env, PROOFWATCH_FIELD_BACKEND: "portable" };
const backends = [
  ["chosen backend", process.env],
  ["portable backend", portableEnv],
] as Array<[string, NodeJS.ProcessEnv]>;

/** Whether this CPU has MULX (BMI2) and ADCX/ADOX (ADX), as Linux reports them. */
function cpuHasMulxAdx(): boolean {
  if (process.arch !== "x64") return false;
  const flags = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  const set = new Set(flags.trim().split(/\s+/));
  return set.has("bmi2") && set.has("adx");
}

interface BackendReport {
  backend: string;
  checks: Array<{ name: string; ok: boolean }>;
}

describeWithTestkit("field backends", () => {
  it("runs the products on MULX/ADX where the CPU has them, else on the portable C++", async () => {
    const kit = new Testkit();
    try {
      const report = (await kit.request("field_backend")) as BackendReport;

      expect(report.backend).toBe(cpuHasMulxAdx() ? "mulx-adx" : "portable");
    } finally {
      await kit.close();
    }
  });

  it.each(backends)(
    "%s: every routine agrees with the portable C++ (edge and random values)",
    async (_name, env) => {
      const kit = new Testkit([], env);
      try {
        const report = (await kit.request("field_backend", {
          seed: String(rng.below(2n ** 63n)),
        })) as BackendReport;

        expect(report.checks.length).toBeGreaterThanOrEqual(3);
        expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
        if (env === portableEnv) expect(report.backend).toBe("portable");
      } finally {
        await kit.close();
      }
    },
  );
});

for (const [backendName, env] of backends) {
  describeWithTestkit(`prover field arithmetic, ${backendName}`, () => {
    let kit: Testkit;
    beforeAll(() => {
      kit = new Testkit([], env);
    });
    afterAll(async () => kit?.close());

    describe.each([
      ["fr", Fr],
      ["fq", Fq],
    ] as Array<[string, PrimeField]>)("%s", (name, F) => {
      it.each([
        ["add", F.add],
        ["sub", F.sub],
        ["mul", F.mul],
      ] as Array<[string, (a: bigint, b: bigint) => bigint]>)(
        `${name}_%s matches BigInt (seed ${rng.seed})`,
        async (op, reference) => {
          const cases = pairs(F.p);

          const results = await Promise.all(
            cases.map(([a, b]) =>
              kit.request(`${name}_${op}`, { a: encode.field(a), b: encode.field(b) }),
            ),
          );

          expect(mismatches(cases, results.map(decode.field), ([a, b]) => reference(a, b))).toEqual(
            [],
          );
        },
      );

      it(`${name}_inv matches BigInt and inverts`, async () => {
        const values = [
          ...edgeValues(F.p).filter((v) => v !== 0n),
          ...Array.from({ length: RANDOM_CASES }, () => rng.below(F.p - 1n) + 1n),
        ];

        const results = (
          await Promise.all(values.map((a) => kit.request(`${name}_inv`, { a: encode.field(a) })))
        ).map(decode.field);

        expect(mismatches(values, results, (a) => modInv(a, F.p))).toEqual([]);
        expect(values.filter((a, i) => F.mul(a, results[i] ?? 0n) !== 1n)).toEqual([]);
      });

      it(`${name}_inv refuses zero`, async () => {
        await expect(kit.request(`${name}_inv`, { a: "0" })).rejects.toThrow(TestkitError);
      });

      it(`${name} refuses a non-canonical input (the modulus itself)`, async () => {
        await expect(kit.request(`${name}_add`, { a: encode.field(F.p), b: "1" })).rejects.toThrow(
          /canonical/,
        );
      });
    });

    it("fq2_mul matches BigInt (u^2 = -1)", async () => {
      const parts = edgeValues(Fq.p);
      const cases: Array<[Fq2Element, Fq2Element]> = [];
      for (let i = 0; i < parts.length; i++) {
        const a: Fq2Element = [parts[i] ?? 0n, parts[(i + 3) % parts.length] ?? 0n];
        const b: Fq2Element = [parts[(i + 5) % parts.length] ?? 0n, parts[i] ?? 0n];
        cases.push([a, b], [a, a]);
      }
      for (let i = 0; i < RANDOM_CASES; i++) {
        cases.push([
          [rng.below(Fq.p), rng.below(Fq.p)],
          [rng.below(Fq.p), rng.below(Fq.p)],
        ]);
      }

      const results = await Promise.all(
        cases.map(([a, b]) => kit.request("fq2_mul", { a: encode.fq2(a), b: encode.fq2(b) })),
      );

      expect(mismatches(cases, results.map(decode.fq2), ([a, b]) => Fq2.mul(a, b))).toEqual([]);
    });

    it("answers an unknown op with an error and keeps serving", async () => {
      await expect(kit.request("no_such_op")).rejects.toThrow(/unknown op/);

      expect(decode.field(await kit.request("fr_add", { a: "2", b: "3" }))).toBe(5n);
    });
  });
}
