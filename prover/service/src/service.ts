// The prover service apart from HTTP and files: takes jobs, hands them to idle healthy
// workers (highest priority first; the least recently used idle GPU first, so load and warm
// zkeys spread), records each run, retries failures elsewhere, follows the quarantine list
// and sends every proof to the verifier.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { context, ROOT_CONTEXT, type Span, SpanStatusCode } from "@opentelemetry/api";
import type { Logger } from "../../../common/log.js";
import type { Groth16Proof } from "../../../contracts/index.js";
import type { EnergyMeter } from "./energy.js";
import { type Job, JobQueue, mayRunOn, shouldRetry, toRecord } from "./jobs.js";
import { groupPhases, type ProverMetrics } from "./metrics.js";
import type { QuarantineSet } from "./quarantine.js";
import type { JobRequest } from "./schema.js";
import type { Spool } from "./spool.js";
import { type Tracing, under } from "./tracing.js";
import type { Attempt, Fault, JobRecord, JobState } from "./types.js";
import type { VerifierClient } from "./verifier-client.js";
import { encodeWtns } from "./witness.js";
import { WITNESS_DIR_OFF, type WitnessDir } from "./witness-dir.js";
import { type RunOutcome, type Worker, zkeyPath } from "./workers.js";

export interface ServiceOptions {
  circuitsDir: string;
  /** Proofs go to OUT/<job id>/{proof,public}.json; inline witnesses to OUT/<job id>/. */
  outDir: string;
  /** This host's name as the verifier and the quarantine list know it. */
  host: string;
  /** Failed runs retried on another GPU before the job fails for good. */
  maxRetries: number;
  defaultDeadlineMs: number;
  /** What happens to the job in flight when its GPU is quarantined. */
  onQuarantine: "flag" | "cancel";
  /** Finished jobs kept in memory for `GET /v1/jobs`. */
  keepJobs: number;
  /** The `prover` field sent to the verifier. */
  proverName: string;
  /** The only folder `witnessFile` jobs may name (--witness-dir); null refuses them. */
  witnessDir: WitnessDir | null;
}

export type SubmitReply =
  | { status: 200 | 202; body: JobRecord }
  | { status: 400 | 404 | 409; body: { error: string } };

// The daemon's timing keys in the order the phases run (its JSON has them sorted by name).
const PHASE_ORDER = [
  "load",
  "witness_to_device",
  "build_abc",
  "ntt",
  "msm_a",
  "msm_b1",
  "msm_b2",
  "msm_c",
  "msm_h",
  "finalize",
  "write",
];

export class ProverService {
  readonly jobs = new Map<string, Job>();
  readonly queue: JobQueue;
  spool: Spool | null = null;
  private seq = 0;
  private closing = false;
  private readonly spans = new Map<Job, Span>();
  /** Jobs whose GPU was quarantined while they ran (the `flag` setting). */
  private readonly flagged = new Set<Job>();
  private readonly running = new Set<Promise<void>>();
  /** Ids whose witness is being checked and placed: taken, though not yet jobs. */
  private readonly admitting = new Set<string>();
  /** The known-answer canary (canary.ts), told when jobs wait and when a GPU is released. */
  canary: { yieldToJobs(): void; released(worker: Worker): void } | null = null;
  /** Reads each GPU's energy counter around its jobs (energy.ts); null without NVML. */
  energy: EnergyMeter | null = null;

  constructor(
    readonly workers: readonly Worker[],
    private readonly metrics: ProverMetrics,
    private readonly tracing: Tracing,
    private readonly verifier: VerifierClient | null,
    private readonly log: Logger,
    private readonly options: ServiceOptions,
  ) {
    this.queue = new JobQueue((job) => this.deadlinePassed(job));
  }

  async submit(
    request: JobRequest,
    source: "http" | "spool",
    spoolFile: string | null = null,
  ): Promise<SubmitReply> {
    if (this.closing) return { status: 409, body: { error: "shutting down" } };
    if (!existsSync(zkeyPath(this.options.circuitsDir, request.circuit))) {
      return { status: 404, body: { error: `unknown circuit ${request.circuit}` } };
    }
    const id = request.id ?? randomUUID();
    const existing = this.jobs.get(id);
    if (existing) {
      // The same id again: idempotent over HTTP (a client retrying), a conflict otherwise.
      if (source === "http" && existing.circuit === request.circuit) {
        return { status: 200, body: toRecord(existing) };
      }
      return { status: 409, body: { error: `job ${id} exists` } };
    }
    if (this.admitting.has(id)) {
      return { status: 409, body: { error: `job ${id} is being submitted` } };
    }
    if (request.witnessFile !== undefined && !this.options.witnessDir) {
      return { status: 400, body: { error: WITNESS_DIR_OFF } };
    }
    this.admitting.add(id);
    let witnessFile: string;
    try {
      const dir = join(this.options.outDir, id);
      await mkdir(dir, { recursive: true });
      witnessFile = join(dir, "witness.wtns");
      if (request.witnessFile !== undefined && this.options.witnessDir) {
        const admitted = await this.options.witnessDir.admit(request.witnessFile, witnessFile);
        if (!admitted.ok) {
          await rmdir(dir).catch(() => undefined); // only when this left it empty
          return { status: 400, body: { error: admitted.error } };
        }
      } else {
        await writeFile(
          witnessFile,
          request.witness !== undefined
            ? Buffer.from(request.witness, "base64")
            : encodeWtns(request.witnessValues ?? []),
        );
      }
    } finally {
      this.admitting.delete(id);
    }
    if (this.closing) {
      if (request.witnessFile !== undefined) await rm(witnessFile, { force: true });
      return { status: 409, body: { error: "shutting down" } };
    }
    const now = Date.now();
    const job: Job = {
      id,
      circuit: request.circuit,
      source,
      priority: request.priority,
      seq: this.seq++,
      submittedAt: now,
      deadlineMs: request.deadline ?? this.options.defaultDeadlineMs,
      deadlineExceededAt: null,
      witnessFile,
      witnessCopy: request.witnessFile !== undefined,
      expectedPublicSignals: request.expectedPublicSignals ?? null,
      seed: request.seed,
      state: "queued",
      attempts: [],
      failedOn: new Set(),
      failure: null,
      result: null,
      verifier: { state: "none", detail: null },
      spoolFile,
    };
    this.jobs.set(id, job);
    this.metrics.received(source);
    const span = this.tracing.tracer.startSpan("prover.job", {
      startTime: now,
      attributes: { "job.id": id, circuit: job.circuit, priority: job.priority, source },
    });
    this.spans.set(job, span);
    context.with(under(span), () =>
      this.log.debug("job queued", { job: id, circuit: job.circuit, priority: job.priority }),
    );
    this.queue.push(job);
    this.dispatch();
    return { status: 202, body: toRecord(job) };
  }

  list(state?: JobState, limit = 1000): JobRecord[] {
    const out: JobRecord[] = [];
    for (const job of this.jobs.values()) {
      if (state === undefined || job.state === state) out.push(toRecord(job));
    }
    return out.slice(-limit);
  }

  /** Applies a new quarantine list: quarantined GPUs take no new job from now on. */
  setQuarantine(list: QuarantineSet): void {
    const hostOut = list.hosts.has(this.options.host);
    for (const worker of this.workers) {
      const out = hostOut || list.uuids.has(worker.uuid);
      if (out && !worker.quarantined) {
        const job = worker.job;
        this.log.warn("GPU quarantined: no new jobs", {
          uuid: worker.uuid,
          inFlight: job?.id ?? "none",
          action: job ? this.options.onQuarantine : "none",
        });
        if (job && this.options.onQuarantine === "cancel") worker.cancel();
        else if (job) this.flagged.add(job);
      } else if (!out && worker.quarantined) {
        this.log.info("GPU released from quarantine", { uuid: worker.uuid });
        this.canary?.released(worker);
      }
      worker.quarantined = out;
    }
    this.dispatch();
  }

  /** Sets or clears a GPU's injected fault; false when no worker has that uuid. */
  setFault(uuid: string, fault: Fault | null): boolean {
    const worker = this.workers.find((w) => w.uuid === uuid);
    if (!worker) return false;
    worker.fault = fault;
    this.log.warn(fault ? "fault injection on" : "fault injection off", {
      uuid,
      fault: fault ? fault.kind : "none",
    });
    return true;
  }

  /** Hands queued jobs to idle healthy workers. */
  dispatch(): void {
    if (this.closing) return;
    if (this.queue.size > 0) this.canary?.yieldToJobs();
    const healthy = this.workers.filter((w) => !w.quarantined).map((w) => w.uuid);
    const idle = this.workers
      .filter((w) => w.available)
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.gpu.index - b.gpu.index);
    for (const worker of idle) {
      if (this.queue.size === 0) return;
      const job = this.queue.take((candidate) => mayRunOn(candidate, worker.uuid, healthy));
      if (job) this.start(worker, job);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const waiting = this.queue.jobs().length;
    this.queue.clear();
    if (waiting > 0) this.log.warn("jobs still queued at shutdown", { jobs: waiting });
    await Promise.all(this.workers.map((worker) => worker.close()));
    await Promise.all([...this.running]);
    this.verifier?.close();
    for (const span of this.spans.values()) span.end();
    this.spans.clear();
  }

  private start(worker: Worker, job: Job): void {
    const attempt: Attempt = {
      uuid: worker.uuid,
      startedAt: new Date().toISOString(),
      endedAt: null,
      result: "running",
    };
    job.state = "running";
    job.attempts.push(attempt);
    worker.job = job;
    const root = this.spans.get(job);
    const span = this.tracing.tracer.startSpan(
      "prover.run",
      { attributes: { uuid: worker.uuid, circuit: job.circuit, attempt: job.attempts.length } },
      root ? under(root) : undefined,
    );
    // Under the run's span, so that every line the run logs carries the job's trace id.
    const run = context
      .with(under(span), () => this.runOn(worker, job, attempt, span))
      .catch((error: unknown) => {
        this.log.error("run failed unexpectedly", {
          job: job.id,
          error: (error as Error).stack ?? String(error),
        });
      })
      .finally(() => {
        this.running.delete(run);
        this.dispatch();
      });
    this.running.add(run);
  }

  private recordEnergy(used: Promise<number | null>, uuid: string, circuit: string): void {
    void used.then((joules) => {
      if (joules !== null) this.metrics.energy(uuid, circuit, joules);
    });
  }

  private async runOn(worker: Worker, job: Job, attempt: Attempt, span: Span): Promise<void> {
    const dir = join(this.options.outDir, job.id);
    const files = {
      witness: job.witnessFile,
      proof: join(dir, "proof.json"),
      public: join(dir, "public.json"),
    };
    const fault = worker.fault;
    let outcome: RunOutcome;
    let energyUsed: Promise<number | null> | undefined;
    try {
      await mkdir(dir, { recursive: true });
      const energy = this.energy?.begin(worker.gpu);
      outcome = await worker.run(job, files);
      // Read now, while the GPU is still between jobs; counted below once the proof is read.
      energyUsed = energy?.end();
    } catch (error) {
      outcome = { kind: "failed", reason: "internal", error: (error as Error).message };
    }
    let proof: Groth16Proof | undefined;
    let publicSignals: string[] = [];
    if (outcome.kind === "proved") {
      try {
        // The daemon's files as it wrote them, not checked here: judging a GPU's proof is the
        // verifier's work, and a wrong one must reach it (contracts/proof-submission.ts).
        proof = JSON.parse(await readFile(files.proof, "utf8")) as Groth16Proof;
        publicSignals = JSON.parse(await readFile(files.public, "utf8")) as string[];
      } catch (error) {
        outcome = { kind: "failed", reason: "output_error", error: (error as Error).message };
      }
    }
    const ended = Date.now();
    attempt.endedAt = new Date(ended).toISOString();
    worker.job = null;
    worker.lastUsedAt = ended;
    const uuid = worker.uuid;
    const flagged = this.flagged.delete(job);
    span.setAttribute("result", outcome.kind);

    if (outcome.kind === "proved") {
      attempt.result = "proved";
      attempt.timings = outcome.timings;
      attempt.backend = outcome.backend;
      worker.proved++;
      this.metrics.proof(uuid, job.circuit, "proved");
      if (outcome.zkeyLoadSeconds !== null) {
        this.metrics.phase(uuid, job.circuit, "zkey_load", outcome.zkeyLoadSeconds);
      }
      for (const [phase, seconds] of groupPhases(outcome.timings)) {
        this.metrics.phase(uuid, job.circuit, phase, seconds);
      }
      this.metrics.deviceBytes(uuid, outcome.deviceBytes);
      // Not awaited: the counter's second read must not hold the job up.
      if (energyUsed) this.recordEnergy(energyUsed, uuid, job.circuit);
      this.phaseSpans(span, outcome.timings, ended);
      job.result = {
        uuid,
        proofFile: files.proof,
        publicFile: files.public,
        publicSignals,
        flagged,
        faultInjected: fault ? fault.kind : null,
      };
      job.state = "proved";
      if (flagged) {
        this.log.warn("job finished on a quarantined GPU (flagged)", { job: job.id, uuid });
      }
      // Read above: an outcome still "proved" had its files read.
      this.deliver(job, proof as Groth16Proof, publicSignals, outcome.backend);
      span.end(ended);
      return this.finish(job);
    }

    if (outcome.kind === "cancelled") {
      attempt.result = "cancelled";
      attempt.reason = this.closing ? "shutdown" : "quarantined";
      this.metrics.proof(uuid, job.circuit, "cancelled");
      span.end(ended);
      this.log.warn("run cancelled", { job: job.id, uuid, reason: attempt.reason });
      job.state = "queued";
      if (!this.closing) this.queue.push(job);
      return;
    }

    attempt.result = "failed";
    attempt.reason = outcome.reason;
    attempt.error = outcome.error;
    worker.failed++;
    job.failedOn.add(uuid);
    this.metrics.proof(uuid, job.circuit, "failed");
    this.metrics.failure(outcome.reason);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
    span.end(ended);
    const retry = !this.closing && shouldRetry(job, this.options.maxRetries);
    this.log.warn("run failed", {
      job: job.id,
      uuid,
      reason: outcome.reason,
      error: outcome.error,
      attempt: job.attempts.length,
      next: retry ? "retry" : "give up",
    });
    if (retry) {
      this.metrics.retry();
      job.state = "queued";
      this.queue.push(job);
      return;
    }
    job.state = "failed";
    job.failure = { reason: outcome.reason, error: outcome.error };
    return this.finish(job);
  }

  /** One span per daemon phase, laid out back to back and ending when the run ended. */
  private phaseSpans(parent: Span, timings: Record<string, number>, endedMs: number): void {
    const keys = [
      ...PHASE_ORDER.filter((key) => key in timings),
      ...Object.keys(timings).filter((key) => key !== "total" && !PHASE_ORDER.includes(key)),
    ];
    const totalMs = keys.reduce((sum, key) => sum + (timings[key] ?? 0) * 1000, 0);
    let at = endedMs - totalMs;
    for (const key of keys) {
      const ms = (timings[key] ?? 0) * 1000;
      this.tracing.tracer
        .startSpan(`prover.phase.${key}`, { startTime: at }, under(parent))
        .end(at + ms);
      at += ms;
    }
  }

  private deliver(job: Job, proof: Groth16Proof, publicSignals: string[], backend: string): void {
    const uuid = job.result?.uuid as string;
    if (!this.verifier) {
      job.verifier = { state: "disabled", detail: null };
      return;
    }
    job.verifier = { state: "pending", detail: null };
    const root = this.spans.get(job);
    const span = this.tracing.tracer.startSpan(
      "prover.verifier_submit",
      { attributes: { "job.id": job.id, uuid } },
      root ? under(root) : undefined,
    );
    this.verifier.submit({
      body: {
        circuit: job.circuit,
        proof,
        publicSignals,
        ...(job.expectedPublicSignals ? { expectedPublicSignals: job.expectedPublicSignals } : {}),
        gpu: { uuid, host: this.options.host },
        prover: `${this.options.proverName} (${backend})`,
        jobId: job.id,
      },
      headers: this.tracing.headers(span),
      // Its log lines (retries, refusals) under the delivery's span, whenever they come.
      context: under(span),
      done: (outcome) => {
        job.verifier = { state: outcome.state, detail: outcome.detail };
        span.setAttribute("result", outcome.state);
        if (outcome.state !== "accepted") {
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.detail });
        }
        span.end();
      },
    });
  }

  private finish(job: Job): void {
    const span = this.spans.get(job);
    // One line per finished job, under the job's span (its trace id): info when proved.
    const done = {
      job: job.id,
      circuit: job.circuit,
      uuid: job.attempts.at(-1)?.uuid ?? "none",
      result: job.state,
      durationSeconds: (Date.now() - job.submittedAt) / 1000,
      runs: job.attempts.length,
    };
    context.with(span ? under(span) : context.active(), () => {
      if (job.state === "failed") {
        this.log.error("job finished", {
          ...done,
          reason: job.failure?.reason,
          error: job.failure?.error,
        });
      } else {
        this.log.info("job finished", done);
      }
    });
    if (span) {
      span.setAttribute("state", job.state);
      if (job.failure) span.setStatus({ code: SpanStatusCode.ERROR, message: job.failure.reason });
      span.end();
      this.spans.delete(job);
    }
    if (job.witnessCopy) {
      rm(job.witnessFile, { force: true }).catch((error: Error) =>
        this.log.warn("witness copy not removed", { job: job.id, error: error.message }),
      );
    }
    if (job.spoolFile && this.spool) void this.spool.finish(job.spoolFile, toRecord(job));
    this.evict();
  }

  private deadlinePassed(job: Job): void {
    job.deadlineExceededAt = Date.now();
    this.metrics.deadlineExceeded();
    const span = this.spans.get(job);
    span?.addEvent("deadline exceeded");
    // The queue's timer is not the job's: the line goes under the job's span explicitly.
    context.with(span ? under(span) : ROOT_CONTEXT, () =>
      this.log.warn("job waited past its deadline", {
        job: job.id,
        circuit: job.circuit,
        deadlineMs: job.deadlineMs,
        queued: this.queue.size,
        healthyWorkers: this.workers.filter((w) => !w.quarantined).length,
      }),
    );
  }

  /** Forgets the oldest finished jobs past `keepJobs`. */
  private evict(): void {
    if (this.jobs.size <= this.options.keepJobs) return;
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= this.options.keepJobs) return;
      if (job.state === "proved" || job.state === "failed") this.jobs.delete(id);
    }
  }
}
