// --log.level / --log.format on a real service (the exporter, no NVML needed), with the
// environment variables as fallback and unknown values refused (issue 17).
import { describe, expect, it } from "vitest";
import { type CliProcess, spawnCli } from "../helpers/cli.js";
import { until } from "../helpers/until.js";

const NO_NVML = { PROOFWATCH_NVML_LIBRARY: "/nonexistent/libnvidia-ml.so.1" };

async function linesUntilListening(proc: CliProcess): Promise<string[]> {
  try {
    return await until(
      () => {
        if (proc.child.exitCode !== null) throw new Error(`exited:\n${proc.output()}`);
        return proc.output().includes("listening") ? proc.output().trim().split("\n") : undefined;
      },
      "the listening line",
      30_000,
    );
  } finally {
    proc.child.kill("SIGTERM");
    await proc.exited;
  }
}

describe("proofwatch exporter's log flags", () => {
  it("--log.format json writes one JSON object a line, debug lines included", async () => {
    const proc = spawnCli(
      "exporter",
      ["--listen", "127.0.0.1:0", "--log.format", "json", "--log.level=debug"],
      NO_NVML,
    );
    const lines = (await linesUntilListening(proc)).map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    const listening = lines.find((line) => line.msg === "listening");
    expect(listening).toMatchObject({ level: "info", component: "exporter" });
    expect(listening?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(["time", "level", "component"]));
      expect(typeof line.msg).toBe("string");
      // pino's own fields are left out: a line says what happened, not which pid wrote it.
      expect(line).not.toHaveProperty("pid");
      expect(line).not.toHaveProperty("hostname");
    }
  }, 60_000);

  it("takes PROOFWATCH_LOG_FORMAT and PROOFWATCH_LOG_LEVEL when no flag is given", async () => {
    const proc = spawnCli("exporter", ["--listen", "127.0.0.1:0"], {
      ...NO_NVML,
      PROOFWATCH_LOG_FORMAT: "json",
      PROOFWATCH_LOG_LEVEL: "warn",
    });
    const lines = await until(
      () =>
        proc.output().includes("NVML unavailable") ? proc.output().trim().split("\n") : undefined,
      "the NVML warning",
      30_000,
    ).finally(() => proc.child.kill("SIGTERM"));
    await proc.exited;
    const parsed = lines.map((line) => JSON.parse(line) as { level: string });
    expect(parsed.map((line) => line.level)).not.toContain("info");
  }, 60_000);

  it.each([
    [
      ["--log.level", "verbose"],
      {},
      '--log.level "verbose" is not one of debug, info, warn, error',
    ],
    [["--log.format=text"], {}, '--log.format "text" is not one of logfmt, json'],
    [[], { PROOFWATCH_LOG_LEVEL: "verbose" }, 'PROOFWATCH_LOG_LEVEL "verbose" is not one of debug'],
  ])(
    "refuses %j %j with the accepted values and exit status 2",
    async (argv, env, message) => {
      const proc = spawnCli("exporter", ["--listen", "127.0.0.1:0", ...argv], {
        ...NO_NVML,
        ...env,
      });
      const { code } = await proc.exited;
      expect(proc.output()).toContain(message);
      expect(code).toBe(2);
    },
    60_000,
  );
});
