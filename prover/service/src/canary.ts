// The known-answer canary per GPU (`proofwatch-prover canary`, prover/GPU.md "Canary"): a
// GPU takes work only once a canary has passed on it, at start, again before it takes work
// after a quarantine, and again (as one of its own checks) after it failed one. Between
// jobs it runs every `intervalMs` on an idle GPU; a run on a healthy GPU gives way to a
// waiting job (it is stopped and tried again later), so it never delays a job. Quarantined
// and failed GPUs get no jobs anyway and keep being checked, which is what lets the
// quarantine service release one (quarantine/src/autorelease.ts reads the last success).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Logger } from "../../../common/log.js";
import { CanaryReport } from "../../../contracts/index.js";
import type { ProverMetrics } from "./metrics.js";
import type { Worker } from "./workers.js";

/** `proofwatch-prover canary --inject-fault` kinds (emulator only). */
export const CANARY_FAULTS = ["g1_msm", "g2_msm", "ntt", "memory"] as const;
export type CanaryFault = (typeof CANARY_FAULTS)[number];

export interface CanaryConfig {
  /** Between-jobs period on an idle GPU; 0 runs it only at start and after a quarantine. */
  intervalMs: number;
  /** Share of the GPU's free memory the memory pass covers (0 to 0.95). */
  memoryShare: number;
  /** Run on the CPU grid emulator instead of the GPU (tests and demos without a GPU). */
  emulated: boolean;
  /** A bit flipped in one check, by GPU uuid (emulated only: tests and demos). */
  faults: ReadonlyMap<string, CanaryFault>;
  /** `proofwatch-prover` (the canary command); default beside the daemon. */
  binary: string | null;
}

export const CANARY_DEFAULTS: CanaryConfig = {
  intervalMs: 5 * 60_000,
  memoryShare: 0.5,
  emulated: false,
  faults: new Map(),
  binary: null,
};

/** Longest one canary may run: seconds on a GPU, a few on the emulator; past it, it failed. */
const RUN_TIMEOUT_MS = 120_000;
/** How often due runs are looked for. */
const TICK_MS = 1000;

/** Why a worker takes no job: the canary has not passed (yet, or since it failed). */
export type CanaryHold = "pending" | "running" | "failed";

export type CanaryOutcome =
  | { result: "passed" | "failed"; report: CanaryReport; error: null }
  | { result: "error"; report: null; error: string }
  /** The prover backend is `auto` and the GPU has no CUDA device: it proves on the CPU. */
  | { result: "skipped"; report: null; error: string }
  | { result: "stopped"; report: null; error: null };

export function defaultCanaryBinary(daemonBinary: string): string {
  return process.env.PROOFWATCH_PROVER ?? join(dirname(daemonBinary), "proofwatch-prover");
}

export function parseCanaryFault(text: string): [string, CanaryFault] {
  const at = text.lastIndexOf("=");
  const kind = text.slice(at + 1);
  if (at <= 0 || !(CANARY_FAULTS as readonly string[]).includes(kind)) {
    throw new Error(
      `--canary-fault ${text}: want UUID=KIND, KIND one of ${CANARY_FAULTS.join(", ")}`,
    );
  }
  return [text.slice(0, at), kind as CanaryFault];
}

interface Run {
  child: ReturnType<typeof spawn>;
  /** A between-jobs run on a healthy GPU: stopped when a job waits for it. */
  yields: boolean;
  stopped: boolean;
}

export class CanaryScheduler {
  private readonly runs = new Map<Worker, Run>();
  private readonly due = new Map<Worker, number>();
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly workers: readonly Worker[],
    private readonly config: CanaryConfig & {
      binary: string;
      /** The prover's --backend: with `auto`, a GPU without CUDA is not held. */
      backend: "auto" | "cuda";
      threads: number;
    },
    private readonly metrics: ProverMetrics,
    private readonly log: Logger,
    private readonly hooks: { queued(): number; dispatch(): void },
  ) {
    for (const worker of workers) worker.canaryHold = "pending";
  }

  /** Checks every GPU (in parallel: each on its own device), then on the interval. */
  start(): void {
    for (const worker of this.workers) this.launch(worker, false);
    if (this.config.intervalMs > 0) {
      this.timer = setInterval(() => this.tick(), Math.min(TICK_MS, this.config.intervalMs));
      this.timer.unref();
    }
  }

  /** A GPU left the quarantine list: no work until a canary passes on it again. */
  released(worker: Worker): void {
    worker.canaryHold = "pending";
    this.stop(worker);
    this.launch(worker, false);
  }

  /** Jobs are waiting: between-jobs runs on healthy GPUs give way (tried again later). */
  yieldToJobs(): void {
    if (this.hooks.queued() === 0) return;
    for (const [worker, run] of this.runs) {
      if (!run.yields) continue;
      this.stop(worker);
      worker.canaryHold = null;
      this.due.set(worker, Date.now() + Math.min(this.config.intervalMs, 10_000));
      this.log.debug("canary postponed: a job is waiting", { uuid: worker.uuid });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const worker of [...this.runs.keys()]) this.stop(worker);
    await Promise.all([...this.pending]);
  }

  private tick(): void {
    const now = Date.now();
    for (const worker of this.workers) {
      if (this.runs.has(worker) || worker.job !== null) continue;
      if ((this.due.get(worker) ?? 0) > now) continue;
      const healthy = !worker.quarantined && worker.canaryHold === null;
      // A healthy GPU is checked only while no job waits; the others take no jobs anyway.
      if (healthy && this.hooks.queued() > 0) continue;
      this.launch(worker, healthy);
    }
  }

  private stop(worker: Worker): void {
    const run = this.runs.get(worker);
    if (!run) return;
    run.stopped = true;
    run.child.kill("SIGKILL");
    this.runs.delete(worker);
  }

  private launch(worker: Worker, yields: boolean): void {
    if (this.closed) return;
    // A failed GPU stays "failed" while it is checked again; any other is held while it runs.
    if (worker.canaryHold !== "failed") worker.canaryHold = "running";
    const args = [
      "canary",
      "--json",
      "--device",
      String(worker.gpu.index),
      "--memory-share",
      String(this.config.memoryShare),
      "--threads",
      String(this.config.threads),
    ];
    if (this.config.emulated) {
      args.push("--backend", "cuda-emu");
      const fault = this.config.faults.get(worker.uuid);
      if (fault) args.push("--inject-fault", fault);
    }
    const child = spawn(this.config.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    const run: Run = { child, yields, stopped: false };
    this.runs.set(worker, run);
    const startedAt = Date.now();
    const done = collect(child, RUN_TIMEOUT_MS)
      .then(({ code, stdout, stderr }) => this.outcome(run, code, stdout, stderr))
      .then((outcome) => this.record(worker, run, outcome, (Date.now() - startedAt) / 1000))
      .catch((error: Error) =>
        this.record(
          worker,
          run,
          { result: "error", report: null, error: error.message },
          (Date.now() - startedAt) / 1000,
        ),
      )
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  private outcome(run: Run, code: number | null, stdout: string, stderr: string): CanaryOutcome {
    if (run.stopped) return { result: "stopped", report: null, error: null };
    const firstLine = stderr.split("\n").find((line) => line.trim() !== "") ?? "";
    if (code === 8 && this.config.backend === "auto" && !this.config.emulated) {
      return { result: "skipped", report: null, error: firstLine };
    }
    if (code === 0 || code === 1) {
      const parsed = CanaryReport.safeParse(safeJson(stdout));
      if (parsed.success && parsed.data.passed === (code === 0)) {
        return {
          result: parsed.data.passed ? "passed" : "failed",
          report: parsed.data,
          error: null,
        };
      }
    }
    const why = code === null ? `killed after ${RUN_TIMEOUT_MS / 1000} s` : `exit status ${code}`;
    return { result: "error", report: null, error: `${why}${firstLine ? `: ${firstLine}` : ""}` };
  }

  private record(worker: Worker, run: Run, outcome: CanaryOutcome, seconds: number): void {
    if (this.runs.get(worker) === run) this.runs.delete(worker);
    if (outcome.result === "stopped" || this.closed) return;
    this.due.set(worker, Date.now() + this.config.intervalMs);
    const uuid = worker.uuid;
    if (outcome.result === "skipped") {
      worker.canaryHold = null;
      this.log.info("canary skipped: no CUDA device, this GPU's jobs run on the CPU", {
        uuid,
        reason: outcome.error,
      });
      this.due.set(worker, Number.POSITIVE_INFINITY);
      this.hooks.dispatch();
      return;
    }
    this.metrics.canary(uuid, outcome.result, seconds, outcome.report);
    if (outcome.result === "passed") {
      if (worker.canaryHold !== null)
        this.log.info("canary passed: GPU takes work", { uuid, seconds });
      else this.log.debug("canary passed", { uuid, seconds });
      worker.canaryHold = null;
      this.hooks.dispatch();
      return;
    }
    worker.canaryHold = "failed";
    this.log.error("canary failed: GPU takes no work", {
      uuid,
      failed: outcome.report ? outcome.report.failed.join(",") : "none",
      error: outcome.error ?? "none",
      details: outcome.report
        ? outcome.report.checks
            .filter((check) => !check.passed)
            .map((check) => `${check.name}: ${check.detail}`)
            .join("; ")
        : "none",
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** stdout and stderr of a child, killed after timeoutMs (code null then). */
function collect(
  child: ReturnType<typeof spawn>,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 65_536) stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Whether `binary` has the canary command (`canary --help` prints its own usage): a prover
 * built before it answers with the general usage instead.
 */
export async function canarySupported(binary: string): Promise<boolean> {
  if (!existsSync(binary)) return false;
  try {
    const child = spawn(binary, ["canary", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    const { code, stdout } = await collect(child, 10_000);
    return code === 0 && stdout.startsWith("usage: proofwatch-prover canary");
  } catch {
    return false;
  }
}
