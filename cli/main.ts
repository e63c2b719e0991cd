#!/usr/bin/env node
// `proofwatch <command>`: one entry point for every component.
import { EXIT, UsageError } from "../common/command.js";
import { packageVersion } from "../common/package-root.js";

interface Command {
  summary: string;
  run(argv: string[]): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  demo: {
    summary: "run the demo fleet on fake-nvml, with Prometheus and the shipped alerts",
    run: async (argv) => (await import("../demo/src/index.js")).runDemo(argv),
  },
  exporter: {
    summary: "serve GPU health from NVML as Prometheus metrics",
    run: async (argv) => (await import("../exporter/src/cli.js")).runExporter(argv),
  },
  prover: {
    summary: "prove Groth16 jobs on this host's GPUs and send every proof to the verifier",
    run: async (argv) => (await import("../prover/service/src/cli.js")).runProver(argv),
  },
  quarantine: {
    summary: "take degrading GPUs out of service on Alertmanager's webhook",
    run: async (argv) => (await import("../quarantine/src/cli.js")).runQuarantine(argv),
  },
  verifier: {
    summary: "re-check Groth16 proofs and say which GPU made each bad one",
    run: async (argv) => (await import("../verifier/src/cli.js")).runVerifier(argv),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `Usage: proofwatch <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun 'proofwatch <command> --help' for a command's options.

Exit status: 0 ok, 1 runtime failure, 2 usage error.\n`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`proofwatch: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = EXIT.usage;
    return;
  }
  try {
    await command.run(rest);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      process.stderr.write(
        `proofwatch ${name}: ${message}\nRun 'proofwatch ${name} --help' for its options.\n`,
      );
      process.exitCode = EXIT.usage;
    } else {
      process.stderr.write(`proofwatch ${name}: ${message}\n`);
      process.exitCode = EXIT.failure;
    }
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`proofwatch: ${(error as Error).message}\n`);
  process.exitCode = EXIT.failure;
});
