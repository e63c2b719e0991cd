// One `proofwatch-prover-daemon` child: a zkey loaded once, one request at a time over
// stdin/stdout JSON lines (docs/prover-service.md, "Daemon protocol"). Out of process on
// purpose: a prover that crashes, hangs or is killed on cancel costs one job, never the service.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { type DaemonAnswer, DaemonAnswer as DaemonAnswerSchema, DaemonReady } from "./schema.js";

export interface DaemonOptions {
  binary: string;
  zkey: string;
  backend: "auto" | "cpu" | "cuda";
  device: number;
  threads: number;
  trustZkey: boolean;
  /** Longest the zkey load may take. */
  startTimeoutMs: number;
}

export interface DaemonRequest {
  id: string;
  witness: string;
  proof: string;
  public: string;
  injectFault?: string;
  seed?: number;
  stallMs?: number;
}

/** The daemon could not load its zkey (`code` as the prover's exit codes) or not start. */
export class DaemonStartError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = "DaemonStartError";
  }
}

/** The daemon died or was killed while a request was in flight. */
export class DaemonExitError extends Error {
  constructor(
    message: string,
    readonly kind: "crash" | "timeout" | "killed",
  ) {
    super(message);
    this.name = "DaemonExitError";
  }
}

const STDERR_KEEP = 2048;

export class ProverDaemon {
  private pending:
    | { id: string; resolve(answer: DaemonAnswer): void; reject(error: Error): void }
    | undefined;
  private stderr = "";
  private killReason: "timeout" | "killed" | undefined;
  private readonly exited: Promise<void>;
  private exitText: string | undefined;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly backend: string,
    readonly loadSeconds: number,
    /** From its ready line; null where it has none (a CPU-only build, no driver, older builds). */
    readonly cuda: { runtime: string | null; driver: string | null },
  ) {
    this.exited = new Promise((resolve) => child.once("close", () => resolve()));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.exitText === undefined;
  }

  /** Spawns the daemon and resolves once it says its zkey is loaded. */
  static start(options: DaemonOptions): Promise<ProverDaemon> {
    const args = [
      "--zkey",
      options.zkey,
      "--backend",
      options.backend,
      "--device",
      String(options.device),
      "--threads",
      String(options.threads),
    ];
    if (options.trustZkey) args.push("--trust-zkey");
    const child = spawn(options.binary, args, { stdio: ["pipe", "pipe", "pipe"] });
    // Writing to a daemon that just died fails with EPIPE: the exit is what reports it (as a
    // crash of the run), so the stream error itself must not become an uncaught exception.
    child.stdin.on("error", () => {});
    let stderr = "";
    const keepStderr = (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_KEEP);
    };
    child.stderr.on("data", keepStderr);
    const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });

    return new Promise<ProverDaemon>((resolve, reject) => {
      let daemon: ProverDaemon | undefined;
      const fail = (error: Error) => {
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new DaemonStartError(`zkey not loaded in ${options.startTimeoutMs} ms`, 1)),
        options.startTimeoutMs,
      );
      child.once("error", (error) => fail(new DaemonStartError(error.message, 1)));
      child.once("close", (code, signal) => {
        if (daemon) return daemon.onClose(code, signal);
        fail(
          new DaemonStartError(
            `daemon exited (${signal ?? code}) before it was ready: ${stderr.trim()}`,
            code ?? 1,
          ),
        );
      });
      lines.on("line", (line) => {
        if (daemon) return daemon.onLine(line);
        let ready: DaemonReady;
        try {
          ready = DaemonReady.parse(JSON.parse(line));
        } catch (error) {
          return fail(
            new DaemonStartError(`unreadable ready line: ${(error as Error).message}`, 1),
          );
        }
        if (!ready.ready) return fail(new DaemonStartError(ready.error, ready.code));
        clearTimeout(timer);
        daemon = new ProverDaemon(child, ready.backend, ready.loadSeconds, {
          runtime: ready.cudaRuntime ?? null,
          driver: ready.cudaDriver ?? null,
        });
        daemon.stderr = stderr;
        child.stderr.off("data", keepStderr);
        child.stderr.on("data", (chunk: Buffer) => {
          if (daemon) daemon.stderr = (daemon.stderr + chunk.toString("utf8")).slice(-STDERR_KEEP);
        });
        resolve(daemon);
      });
    });
  }

  /** Sends one request and waits for its answer; kills the daemon after `timeoutMs`. */
  prove(request: DaemonRequest, timeoutMs: number): Promise<DaemonAnswer> {
    if (this.pending) return Promise.reject(new Error("daemon busy: one request at a time"));
    if (!this.alive) {
      return Promise.reject(new DaemonExitError(`daemon gone: ${this.exitText}`, "crash"));
    }
    return new Promise<DaemonAnswer>((resolve, reject) => {
      const timer = setTimeout(() => this.kill("timeout"), timeoutMs);
      this.pending = {
        id: request.id,
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.child.stdin.write(`${JSON.stringify(request)}\n`, (error) => {
        // EPIPE: it died before reading; the close handler rejects with the exit status.
        if (error) this.child.kill("SIGKILL");
      });
    });
  }

  /** SIGKILL: a cancelled job or a timeout. The request in flight is rejected. */
  kill(reason: "timeout" | "killed" = "killed"): void {
    if (!this.alive) return;
    this.killReason ??= reason;
    this.child.kill("SIGKILL");
  }

  /** Closes stdin (the daemon exits on EOF); SIGKILL if it has not gone in a second. */
  async close(): Promise<void> {
    if (this.alive) {
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 1000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  private onLine(line: string): void {
    const pending = this.pending;
    if (!pending) return; // nothing asked: ignore rather than guess
    let answer: DaemonAnswer;
    try {
      answer = DaemonAnswerSchema.parse(JSON.parse(line));
    } catch (error) {
      this.pending = undefined;
      this.kill();
      pending.reject(
        new DaemonExitError(`unreadable answer: ${(error as Error).message}`, "crash"),
      );
      return;
    }
    if (answer.id !== pending.id && answer.id !== null) return; // stale: not this request's
    this.pending = undefined;
    pending.resolve(answer);
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    const tail = this.stderr.trim().split("\n").slice(-3).join(" | ");
    this.exitText = `exited with ${signal ?? `code ${code}`}${tail ? `: ${tail}` : ""}`;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      const kind = this.killReason ?? "crash";
      pending.reject(new DaemonExitError(`prover daemon ${this.exitText}`, kind));
    }
  }
}
