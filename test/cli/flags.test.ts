// Every command answers --version, -h and a bad flag the same way (issue 17): the version on
// stdout and 0, its usage on stdout and 0, and a reason plus a pointer to --help on stderr and
// exit status 2 (README "Exit status").
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot, packageVersion } from "../../common/package-root.js";
import { spawnCli } from "../helpers/cli.js";

const COMMANDS: { name: string; argv: string[]; usage: RegExp }[] = [
  { name: "exporter", argv: ["exporter"], usage: /^Usage: proofwatch exporter/ },
  { name: "verifier", argv: ["verifier"], usage: /^Usage: proofwatch verifier/ },
  { name: "quarantine", argv: ["quarantine"], usage: /^Usage: proofwatch quarantine/ },
  { name: "prover", argv: ["prover"], usage: /^Usage: proofwatch prover/ },
  { name: "demo", argv: ["demo"], usage: /^Usage: proofwatch demo/ },
  {
    name: "quarantine release",
    argv: ["quarantine", "release"],
    usage: /proofwatch quarantine release UUID/,
  },
  { name: "quarantine list", argv: ["quarantine", "list"], usage: /proofwatch quarantine list/ },
];

// No NVML on purpose: the exporter starts without it (test/exporter/no-library.test.ts).
const NO_NVML = { PROOFWATCH_NVML_LIBRARY: "/nonexistent/libnvidia-ml.so.1" };

async function run(argv: string[]) {
  const [command = "", ...rest] = argv;
  const proc = spawnCli(command, rest, NO_NVML);
  const { code } = await proc.exited;
  return { code, output: proc.output() };
}

describe.concurrent("every command's --version, -h and a bad flag", () => {
  it.each(COMMANDS)("$name --version prints its version and exits 0", async ({ argv, name }) => {
    const { code, output } = await run([...argv, "--version"]);
    expect(output).toBe(
      `proofwatch ${name}, version ${packageVersion()} (node ${process.version})\n`,
    );
    expect(code).toBe(0);
  });

  it.each(COMMANDS)("$name -h prints its usage and exits 0", async ({ argv, usage }) => {
    const { code, output } = await run([...argv, "-h"]);
    expect(output).toMatch(usage);
    expect(output).toMatch(/-h, --help/);
    expect(output).toMatch(/--version/);
    expect(code).toBe(0);
  });

  it.each(COMMANDS)(
    "$name --no-such-flag says why, points at --help and exits 2",
    async ({ argv, name }) => {
      const { code, output } = await run([...argv, "--no-such-flag"]);
      const command = argv[0];
      expect(output).toBe(
        `proofwatch ${command}: Unknown option '--no-such-flag'\nRun 'proofwatch ${command} --help' for its options.\n`,
      );
      expect(code, name).toBe(2);
    },
  );

  it.each([
    ["an unknown command", ["nonsense"], /unknown command "nonsense"/],
    ["a service without a required flag", ["verifier"], /--circuits is required/],
    ["a bad duration", ["exporter", "--scrape-deadline", "1.5s"], /invalid duration "1\.5s"/],
  ])("%s is a usage error: exit 2", async (_what, argv, message) => {
    const { code, output } = await run(argv);
    expect(output).toMatch(message);
    expect(code).toBe(2);
  });

  it("a runtime failure (the address is taken) exits 1", async () => {
    const { createServer } = await import("node:net");
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as { port: number };
    try {
      const { code, output } = await run(["exporter", "--listen", `127.0.0.1:${port}`]);
      expect(output).toMatch(/EADDRINUSE/);
      expect(code).toBe(1);
    } finally {
      taken.close();
    }
  });

  it("proofwatch --version and -h still answer at the top level", async () => {
    expect((await run(["--version"])).output).toBe(`${packageVersion()}\n`);
    const help = await run(["-h"]);
    expect(help.output).toMatch(/Exit status: 0 ok, 1 runtime failure, 2 usage error/);
    expect(help.code).toBe(0);
  });
});

// The C++ prover CLI: its own build (prover/README.md), so checked only when that build is
// newer than its argument parsing; its usage errors exit 2 as everywhere else.
const PROVER_BINARY = join(packageRoot(), "prover/build/proofwatch-prover");
const PROVER_CLI_SOURCE = join(packageRoot(), "prover/src/cli/main.cpp");
const proverBuilt =
  existsSync(PROVER_BINARY) &&
  statSync(PROVER_BINARY).mtimeMs >= statSync(PROVER_CLI_SOURCE).mtimeMs;

function runBinary(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PROVER_BINARY, args, (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!proverBuilt)(
  proverBuilt
    ? "proofwatch-prover --version, -h and a bad flag"
    : "proofwatch-prover --version, -h and a bad flag: SKIPPED, prover/build/proofwatch-prover is missing or older than prover/src/cli/main.cpp (cmake --build prover/build)",
  () => {
    it("--version prints package.json's version, then its CUDA runtime and driver, and exits 0", async () => {
      const { code, stdout, stderr } = await runBinary(["--version"]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      const [first, cuda, rest] = stdout.split("\n");
      expect(first).toBe(`proofwatch-prover, version ${packageVersion()}`);
      // A CPU-only build says so; a CUDA build names its runtime and what the driver supports.
      expect(cuda).toMatch(
        /^(?:CUDA: not built \(CPU backend only\)|CUDA runtime \d+\.\d+ \(built with\), driver (?:supports CUDA \d+\.\d+|none \(.+\)))$/,
      );
      expect(rest).toBe("");
    });

    it("-h prints its usage and exits 0", async () => {
      const { code, stdout } = await runBinary(["-h"]);
      expect(stdout).toMatch(/^usage: proofwatch-prover/);
      expect(stdout).toMatch(/--version/);
      expect(code).toBe(0);
    });

    it("--no-such-flag says why and exits 2", async () => {
      const { code, stderr } = await runBinary(["--no-such-flag"]);
      expect(stderr).toBe("proofwatch-prover: unknown option --no-such-flag (see --help)\n");
      expect(code).toBe(2);
    });
  },
);
