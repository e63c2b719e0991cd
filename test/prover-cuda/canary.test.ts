/**
 * `proofwatch-prover canary`: the known-answer canary run end to end through the real
 * binary on the grid emulator (`--backend cuda-emu`, the same kernel bodies and launch
 * order a GPU runs), its JSON report parsed with the contract the prover service uses.
 * A bit flipped by a kernel in one result, or in one word of the memory pass, must fail
 * the run and name the check; a clean run must pass.
 */
import { describe, expect, it } from "vitest";
import { CanaryReport } from "../../contracts/index.js";
import { runProver } from "../prover/fixtures.js";
import { describeWithCanary } from "./canary-support.js";

const EMU = ["canary", "--backend", "cuda-emu", "--threads", "2", "--json"];
const TIMEOUT = 120_000;

async function canary(args: readonly string[]) {
  const run = await runProver([...EMU, ...args], TIMEOUT);
  return { ...run, report: run.stdout ? CanaryReport.parse(JSON.parse(run.stdout)) : null };
}

describeWithCanary("proofwatch-prover canary", () => {
  it(
    "passes a clean run, covering every MSM window size and reduction shape, both curves, NTTs and memory",
    async () => {
      const { code, stderr, report } = await canary(["--memory-share", "0.05"]);

      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(report?.passed).toBe(true);
      expect(report?.failed).toEqual([]);
      expect(report?.backend).toBe("cuda-emu");
      const names = report?.checks.map((c) => c.name);
      expect(names).toEqual([
        "g1_msm_256",
        "g1_msm_4095",
        "g1_msm_16384",
        "g1_msm_65534",
        "g2_msm_256",
        "g2_msm_2048",
        "ntt_forward_1024",
        "ntt_roundtrip_1024",
        "ntt_forward_65536",
        "ntt_roundtrip_65536",
        "memory",
      ]);
      for (const check of report?.checks ?? []) {
        expect(check, check.name).toMatchObject({ passed: true, mismatches: 0 });
      }
      // The window sizes and reduction shapes the MSM checks reach (cuda/kernels.h msm_layout).
      const details = report?.checks.filter((c) => c.kind === "g1_msm").map((c) => c.detail);
      expect(details?.map((d) => /window bits (\d+)/.exec(d)?.[1])).toEqual(["5", "8", "10", "13"]);
      expect(details?.[3]).toContain("in 16 groups");
      // 5% of the emulated device's 256 MiB, in whole words.
      expect(report?.freeBytes).toBe(256 * 2 ** 20);
      expect(report?.testedBytes).toBe(Math.floor((256 * 2 ** 20 * 0.05) / 8) * 8);
      expect(report?.checks.at(-1)?.size).toBe(report?.testedBytes);
    },
    TIMEOUT,
  );

  it.each([
    ["g1_msm", ["g1_msm_65534"]],
    ["g2_msm", ["g2_msm_2048"]],
    ["ntt", ["ntt_forward_65536", "ntt_roundtrip_65536"]],
    ["memory", ["memory"]],
  ])(
    "fails, naming the check, when a kernel flips one bit (%s)",
    async (fault, failed) => {
      const { code, stderr, report } = await canary([
        "--memory-share",
        "0.02",
        "--inject-fault",
        fault,
      ]);

      expect(code).toBe(1);
      expect(report?.passed).toBe(false);
      expect(report?.failed).toEqual(failed);
      expect(stderr).toContain(`canary failed on device 0: ${failed.join(", ")}`);
      for (const check of report?.checks ?? []) {
        if (failed.includes(check.name)) expect(check.mismatches, check.name).toBeGreaterThan(0);
        else expect(check, check.name).toMatchObject({ passed: true, mismatches: 0 });
      }
      if (fault === "memory") {
        expect(report?.checks.at(-1)).toMatchObject({ mismatches: 1 });
        expect(report?.checks.at(-1)?.detail).toMatch(
          /^1 word read back wrong, the first at byte \d+/,
        );
      }
      if (fault === "ntt") expect(report?.checks[8]?.mismatches).toBe(1);
    },
    TIMEOUT,
  );

  it(
    "prints a summary for people without --json, and skips the memory pass at share 0",
    async () => {
      const run = await runProver(
        ["canary", "--backend", "cuda-emu", "--threads", "2", "--memory-share", "0"],
        TIMEOUT,
      );

      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^canary on CUDA kernels on the CPU grid emulator \(cuda-emu, device 0\): passed/,
      );
      expect(run.stdout).toMatch(/\n {2}ok {3}g2_msm_2048 /);
      expect(run.stdout).not.toContain("memory");
    },
    TIMEOUT,
  );

  describe("usage", () => {
    it("documents itself under --help", async () => {
      const run = await runProver(["canary", "--help"]);
      expect(run.code).toBe(0);
      for (const flag of ["--device N", "--memory-share R", "--json", "--inject-fault"]) {
        expect(run.stdout).toContain(flag);
      }
      expect(run.stdout).toContain("8 no usable CUDA device");
      expect((await runProver(["--help"])).stdout).toContain("proofwatch-prover canary");
    });

    it.each([
      [["--inject-fault", "ntt"], "--inject-fault is for the emulator only"],
      [["--backend", "cuda-emu", "--inject-fault", "h-bitflip"], "--inject-fault must be"],
      [["--memory-share", "0.99"], "--memory-share expects a number from 0 to 0.95"],
      [["--memory-share", "half"], "--memory-share expects a number"],
      [["--backend", "cpu"], "--backend must be cuda or cuda-emu"],
      [["--device", "x"], "--device expects a non-negative integer"],
      [["--bogus"], "unexpected argument --bogus"],
    ])("refuses %j with exit 2", async (args, message) => {
      const run = await runProver(["canary", ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe("");
    });

    it("exits 8 with the reason when the device is not there", async () => {
      const run = await runProver(["canary", "--device", "1023"]);
      expect(run.code).toBe(8);
      expect(run.stderr).toMatch(
        /^proofwatch-prover: CUDA backend: (no usable device|--device 1023 but only)/,
      );
      expect(run.stdout).toBe("");
    });
  });
});
