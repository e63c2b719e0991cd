// One worker per GPU. It proves one job at a time through a daemon per circuit, started on
// the circuit's first job on this GPU and kept warm (zkey loaded) for the next ones; past
// `maxWarm` circuits the least recently used daemon is closed. A daemon that dies is
// forgotten and started again on the next job.
import { join } from "node:path";
import type { Logger } from "../../../common/log.js";
import type { CanaryHold } from "./canary.js";
import {
  DaemonExitError,
  type DaemonOptions,
  type DaemonRequest,
  DaemonStartError,
  ProverDaemon,
} from "./daemon.js";
import type { Gpu } from "./gpus.js";
import { type Job, reasonForCode } from "./jobs.js";
import type { FailureReason, Fault, WorkerStatus } from "./types.js";

export interface WorkerOptions {
  daemonBinary: string;
  circuitsDir: string;
  backend: DaemonOptions["backend"];
  threads: number;
  trustZkey: boolean;
  maxWarm: number;
  jobTimeoutMs: number;
  startTimeoutMs: number;
}

export type RunOutcome =
  | {
      kind: "proved";
      timings: Record<string, number>;
      deviceBytes: number;
      backend: string;
      /** Set when this run started a daemon: how long its zkey took to load. */
      zkeyLoadSeconds: number | null;
    }
  | { kind: "failed"; reason: FailureReason; error: string }
  | { kind: "cancelled" };

export interface RunFiles {
  witness: string;
  proof: string;
  public: string;
}

export function zkeyPath(circuitsDir: string, circuit: string): string {
  return join(circuitsDir, circuit, "circuit.zkey");
}

export class Worker {
  quarantined = false;
  /** Set while the known-answer canary has not passed on this GPU (canary.ts): no jobs. */
  canaryHold: CanaryHold | null = null;
  fault: Fault | null = null;
  job: Job | null = null;
  /** When it last finished a job: idle workers are handed jobs least recently used first. */
  lastUsedAt = 0;
  backend = "unknown";
  proved = 0;
  failed = 0;
  private readonly daemons = new Map<string, ProverDaemon>();
  private current: ProverDaemon | null = null;
  private cancelled = false;
  private closed = false;

  constructor(
    readonly gpu: Gpu,
    private readonly options: WorkerOptions,
    private readonly log: Logger,
  ) {}

  get uuid(): string {
    return this.gpu.uuid;
  }

  /** Takes new jobs: not quarantined, canary passed, not busy, not shutting down. */
  get available(): boolean {
    return !this.quarantined && this.canaryHold === null && this.job === null && !this.closed;
  }

  async run(job: Job, files: RunFiles): Promise<RunOutcome> {
    this.cancelled = false;
    let daemon = this.daemons.get(job.circuit);
    let zkeyLoadSeconds: number | null = null;
    if (daemon && !daemon.alive) {
      this.daemons.delete(job.circuit);
      daemon = undefined;
    }
    if (!daemon) {
      try {
        daemon = await ProverDaemon.start({
          binary: this.options.daemonBinary,
          zkey: zkeyPath(this.options.circuitsDir, job.circuit),
          backend: this.options.backend,
          device: this.gpu.index,
          threads: this.options.threads,
          trustZkey: this.options.trustZkey,
          startTimeoutMs: this.options.startTimeoutMs,
        });
      } catch (error) {
        const code = error instanceof DaemonStartError ? error.code : 1;
        return { kind: "failed", reason: reasonForCode(code), error: (error as Error).message };
      }
      if (this.closed) {
        // Shut down while the zkey loaded: nobody would close this daemon later.
        await daemon.close();
        return { kind: "cancelled" };
      }
      zkeyLoadSeconds = daemon.loadSeconds;
      this.backend = daemon.backend;
      this.log.info("daemon started", {
        uuid: this.uuid,
        circuit: job.circuit,
        pid: daemon.pid,
        backend: daemon.backend,
        loadSeconds: daemon.loadSeconds,
        cudaRuntime: daemon.cuda.runtime ?? "none",
        cudaDriver: daemon.cuda.driver ?? "none",
      });
      this.daemons.set(job.circuit, daemon);
      await this.evict();
    } else {
      // Most recently used last: Map keeps insertion order.
      this.daemons.delete(job.circuit);
      this.daemons.set(job.circuit, daemon);
    }
    if (this.cancelled) return { kind: "cancelled" };

    const request: DaemonRequest = {
      id: `${job.id}#${job.attempts.length}`,
      witness: files.witness,
      proof: files.proof,
      public: files.public,
    };
    const fault = this.fault;
    if (fault?.kind === "stall") request.stallMs = fault.stallMs;
    else if (fault) request.injectFault = fault.kind;
    if (job.seed !== undefined) request.seed = job.seed;

    this.current = daemon;
    try {
      const answer = await daemon.prove(request, this.options.jobTimeoutMs);
      if (!answer.ok) {
        return { kind: "failed", reason: reasonForCode(answer.code), error: answer.error };
      }
      return {
        kind: "proved",
        timings: answer.timings,
        deviceBytes: answer.deviceBytes,
        backend: answer.backend,
        zkeyLoadSeconds,
      };
    } catch (error) {
      this.daemons.delete(job.circuit);
      if (this.cancelled) return { kind: "cancelled" };
      const kind = error instanceof DaemonExitError ? error.kind : "crash";
      return {
        kind: "failed",
        reason: kind === "timeout" ? "timeout" : "prover_crash",
        error: (error as Error).message,
      };
    } finally {
      this.current = null;
    }
  }

  /** Cancels the job in flight by killing its daemon (the zkey is loaded again next time). */
  cancel(): void {
    if (this.job === null) return;
    this.cancelled = true;
    this.current?.kill("killed");
  }

  status(): WorkerStatus {
    return {
      index: this.gpu.index,
      uuid: this.uuid,
      name: this.gpu.name,
      backend: this.backend,
      quarantined: this.quarantined,
      busy: this.job !== null,
      job: this.job?.id ?? null,
      daemons: Object.fromEntries(
        [...this.daemons].filter(([, d]) => d.alive).map(([circuit, d]) => [circuit, d.pid]),
      ),
      fault: this.fault,
      canary: this.canaryHold,
      proved: this.proved,
      failed: this.failed,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancel();
    await Promise.all([...this.daemons.values()].map((daemon) => daemon.close()));
    this.daemons.clear();
  }

  private async evict(): Promise<void> {
    while (this.daemons.size > this.options.maxWarm) {
      const [circuit, daemon] = this.daemons.entries().next().value as [string, ProverDaemon];
      this.daemons.delete(circuit);
      this.log.info("daemon closed (least recently used)", { uuid: this.uuid, circuit });
      await daemon.close();
    }
  }
}
