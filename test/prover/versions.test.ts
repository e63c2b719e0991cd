// The CUDA runtime the prover was built with and the CUDA version the host's driver supports,
// as `proofwatch-prover --version` prints them and as the daemon's ready line carries them:
// both from the same calls (cudaRuntimeGetVersion, cudaDriverGetVersion), so they agree. A
// CPU-only build says it was not built and gives null for both. Binaries built before these
// lines existed are skipped, and the reason is in the test's name.
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { ProverDaemon } from "../../prover/service/src/daemon.js";
import { defaultDaemonBinary } from "../../prover/service/src/index.js";
import { ensureCircuit, proverPath } from "./fixtures.js";

const CUDA_LINE =
  /^(?:CUDA: not built \(CPU backend only\)|CUDA runtime (\d+\.\d+) \(built with\), driver (?:supports CUDA (\d+\.\d+)|none \(.+\)))$/;

function versionLines(): string[] {
  try {
    return execFileSync(proverPath, ["--version"], { encoding: "utf8" }).split("\n");
  } catch {
    return [];
  }
}

/** The daemon's first stdout line for `zkey`, parsed; the daemon is then closed. */
async function readyLine(zkey: string): Promise<Record<string, unknown>> {
  const child = spawn(defaultDaemonBinary(), ["--zkey", zkey, "--backend", "auto"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  try {
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) return JSON.parse(line) as Record<string, unknown>;
    throw new Error("the daemon wrote nothing");
  } finally {
    child.stdin.end();
    child.kill();
  }
}

const lines = versionLines();
const built = lines.length >= 2 && lines[1]?.startsWith("CUDA") === true;

describe.skipIf(!built)(
  built
    ? "the prover's CUDA versions"
    : `the prover's CUDA versions: SKIPPED, ${proverPath} predates them or is missing (cmake --build prover/build)`,
  () => {
    it("--version names the CUDA runtime and what the driver supports, or says CUDA is not built", () => {
      expect(lines[1]).toMatch(CUDA_LINE);
      expect(lines.slice(2)).toEqual([""]);
    });

    it("the daemon's ready line carries the same versions", async () => {
      const fixture = await ensureCircuit("multiplier");
      const ready = await readyLine(fixture.zkey);
      const [, runtime = null, driver = null] = CUDA_LINE.exec(lines[1] ?? "") ?? [];
      expect(ready).toMatchObject({ ready: true, cudaRuntime: runtime, cudaDriver: driver });
    });

    it("the prover service reads them from the ready line", async () => {
      const fixture = await ensureCircuit("multiplier");
      const daemon = await ProverDaemon.start({
        binary: defaultDaemonBinary(),
        zkey: fixture.zkey,
        backend: "auto",
        device: 0,
        threads: 1,
        trustZkey: false,
        startTimeoutMs: 30_000,
      });
      try {
        const [, runtime = null, driver = null] = CUDA_LINE.exec(lines[1] ?? "") ?? [];
        expect(daemon.cuda).toEqual({ runtime, driver });
      } finally {
        await daemon.close();
      }
    });
  },
);
