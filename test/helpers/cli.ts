// `proofwatch <command> …` in a child process, as an operator runs it (through tsx, so that
// no build is needed), and waiting for it to listen.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../../common/package-root.js";

export interface CliProcess {
  child: ChildProcess;
  /** Its stdout and stderr so far, in the order they came. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCli(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): CliProcess {
  const root = packageRoot();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "cli/main.ts"), command, ...args],
    { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/**
 * Resolves once `url`/healthz answers. Fails at once, with the process's output, when it
 * exits first, and after `timeoutMs` when it never answers.
 */
export async function untilHealthy(
  proc: CliProcess,
  url: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`exited before listening:\n${proc.output()}`);
    }
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not listening on ${url} after ${timeoutMs / 1000} s:\n${proc.output()}`);
}
