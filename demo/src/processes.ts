// proofwatch's own services as child processes, each the leader of its own process group so
// that stopping one also stops what it started (the prover's daemons) and Ctrl-C in the
// terminal reaches only the demo, which then stops them in order.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../../common/package-root.js";

/**
 * How to run `proofwatch`: the compiled `dist/cli/main.js` when this module is compiled
 * (`bin/proofwatch demo` after `npm ci`), else `cli/main.ts` through tsx (tests, `npx tsx`).
 */
export function proofwatchCommand(): string[] {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith(".ts")) {
    return [
      process.execPath,
      "--import",
      "tsx",
      fileURLToPath(new URL("../../cli/main.ts", import.meta.url)),
    ];
  }
  return [process.execPath, fileURLToPath(new URL("../../cli/main.js", import.meta.url))];
}

export interface Service {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Where its stdout and stderr go. */
  logFile: string;
  exited: Promise<void>;
  running(): boolean;
  /** SIGTERM to the group, SIGKILL to what is left after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** Starts `proofwatch <args>` detached in its own process group, logging to `logFile`. */
export function startService(
  name: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; logFile: string },
): Service {
  const [command, ...prefix] = proofwatchCommand();
  const out = openSync(options.logFile, "a");
  const child = spawn(command as string, [...prefix, ...args], {
    cwd: packageRoot(),
    env: { ...process.env, ...options.env },
    stdio: ["ignore", out, out],
    detached: true,
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const pid = child.pid;
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      done = true;
      resolve();
    });
    child.once("error", () => {
      done = true;
      resolve();
    });
  });
  return {
    name,
    pid,
    child,
    logFile: options.logFile,
    exited,
    running: () => !done,
    async stop(graceMs = 10_000) {
      if (!done) {
        signalGroup(pid, "SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          exited,
          new Promise((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
      }
      // Whatever of the group outlived its leader (a daemon stuck in a proof) goes too.
      signalGroup(pid, "SIGKILL");
      await exited;
    },
  };
}

/** The last lines of a service's log, for error messages. */
export function logTail(service: Service, lines = 30): string {
  try {
    return readFileSync(service.logFile, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Waits until `url` answers 200, failing early when the service exits. */
export async function waitHealthy(
  service: Service,
  url: string,
  timeoutMs = 90_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!service.running()) {
      throw new Error(`${service.name} exited at start:\n${logTail(service)}`);
    }
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `${service.name} did not answer ${url} in ${timeoutMs / 1000} s:\n${logTail(service)}`,
  );
}
