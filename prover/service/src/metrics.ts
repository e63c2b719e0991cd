// The prover service's metrics: prom-client instruments in the service's own registry, served
// on its /metrics with the process metrics and build info every service has
// (common/metrics.ts). Its traces are OpenTelemetry's (tracing.ts).

import { Counter, Gauge, Histogram } from "prom-client";
import { createServiceRegistry, fillGauge, readGauge } from "../../../common/metrics.js";
import type { RefusalReason } from "../../../common/web/index.js";
import type { CanaryReport } from "../../../contracts/index.js";
import type { FailureReason } from "./types.js";

/** The metric phases; the daemon's finer timings are grouped into these (docs/metrics.md). */
export type Phase =
  | "zkey_load"
  | "load"
  | "witness_to_device"
  | "qap"
  | "ntt"
  | "msm"
  | "finalize"
  | "write";

export type ProofResult = "proved" | "failed" | "cancelled";
export type DeliveryResult = "accepted" | "rejected" | "unauthorized" | "error" | "dropped";

export interface MetricSources {
  queued(): number;
  /** Every worker: its uuid, whether it has a job, whether it is quarantined. */
  workers(): Array<{ uuid: string; busy: boolean; quarantined: boolean }>;
  verifierBacklog(): number;
  /** Unix ms of the last quarantine list read that succeeded; null before the first. */
  quarantineReadAt(): number | null;
}

export interface ProverMetrics {
  proof(uuid: string, circuit: string, result: ProofResult): void;
  phase(uuid: string, circuit: string, phase: Phase, seconds: number): void;
  deviceBytes(uuid: string, bytes: number): void;
  /** The GPU energy a proved job took (energy.ts). */
  energy(uuid: string, circuit: string, joules: number): void;
  failure(reason: FailureReason): void;
  retry(): void;
  deadlineExceeded(): void;
  received(source: "http" | "spool"): void;
  delivery(result: DeliveryResult): void;
  /** A request the web-security layer refused (common/web/security.ts). */
  httpRefused(reason: RefusalReason): void;
  /** A known-answer canary that ran to the end (canary.ts); report null for an error. */
  canary(
    uuid: string,
    result: "passed" | "failed" | "error",
    seconds: number,
    report: CanaryReport | null,
  ): void;
  render(): Promise<string>;
}

export { CONTENT_TYPE } from "../../../common/metrics.js";

// Seconds: a phase of a toy circuit takes microseconds, a 2^24 MSM on a CPU minutes.
const PHASE_BUCKETS = [
  0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

export function createMetrics(sources: MetricSources): ProverMetrics {
  const registry = createServiceRegistry("prover");
  const registers = [registry];
  const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });

  const proofs = counter(
    "proofwatch_prover_proofs_total",
    "Proof runs by GPU uuid, circuit and result (proved, failed, cancelled).",
    ["uuid", "circuit", "result"],
  );
  const phases = new Histogram({
    name: "proofwatch_prover_phase_duration_seconds",
    help: "Time per proving phase, by GPU uuid, circuit and phase.",
    labelNames: ["uuid", "circuit", "phase"],
    buckets: PHASE_BUCKETS,
    registers,
  });
  const transfer = counter(
    "proofwatch_prover_device_transfer_bytes_total",
    "Bytes copied from host to device memory by GPU uuid (0 on the CPU backend).",
    ["uuid"],
  );
  const energy = counter(
    "proofwatch_prover_energy_joules_total",
    "GPU energy of proved jobs, from NVML's energy counter at each job's start and end.",
    ["circuit", "uuid"],
  );
  const failures = counter(
    "proofwatch_prover_job_failures_total",
    "Failed proof runs by reason; each may be retried on another GPU.",
    ["reason"],
  );
  // Unlabelled counters are served as 0 from the start, so rate() has a zero to begin from;
  // labelled ones' series appear with their first event.
  const retries = counter(
    "proofwatch_prover_job_retries_total",
    "Failed runs put back in the queue for another GPU.",
  );
  const deadlines = counter(
    "proofwatch_prover_jobs_deadline_exceeded_total",
    "Jobs that waited for a GPU longer than their deadline.",
  );
  const received = counter(
    "proofwatch_prover_jobs_received_total",
    "Jobs accepted, by source (http, spool).",
    ["source"],
  );
  const httpRefused = counter(
    "proofwatch_prover_http_requests_refused_total",
    "Requests refused by the web-security layer, by reason (unauthenticated, bad_credentials, rate_limited).",
    ["reason"],
  );
  const deliveries = counter(
    "proofwatch_prover_verifier_submissions_total",
    "Proof submissions to the verifier by result (accepted, rejected, unauthorized = credentials refused, error = retried, dropped).",
    ["result"],
  );

  readGauge(registry, "proofwatch_prover_jobs_queued", "Jobs waiting for a GPU.", sources.queued);
  fillGauge(
    registry,
    "proofwatch_prover_jobs_in_flight",
    "Jobs being proved, by GPU uuid (0 or 1: one job per GPU at a time).",
    ["uuid"],
    (set) => {
      for (const worker of sources.workers()) set({ uuid: worker.uuid }, worker.busy ? 1 : 0);
    },
  );
  readGauge(
    registry,
    "proofwatch_prover_workers_quarantined",
    "Workers whose GPU is on the quarantine list and takes no new job.",
    () => sources.workers().filter((worker) => worker.quarantined).length,
  );
  readGauge(
    registry,
    "proofwatch_prover_workers",
    "Workers, one per GPU found at start.",
    () => sources.workers().length,
  );
  readGauge(
    registry,
    "proofwatch_prover_verifier_backlog",
    "Proofs waiting to be delivered to the verifier (it is down or slow).",
    sources.verifierBacklog,
  );
  readGauge(
    registry,
    "proofwatch_prover_quarantine_list_timestamp_seconds",
    "Unix time the quarantine list was last read successfully.",
    () => {
      const at = sources.quarantineReadAt();
      return at === null ? null : at / 1000;
    },
  );

  // The known-answer canary (canary.ts, prover/GPU.md "Canary").
  const canaryRuns = counter(
    "proofwatch_prover_canary_runs_total",
    "Known-answer canary runs by GPU uuid and result (passed, failed = a check differed, error = it could not run or finish).",
    ["uuid", "result"],
  );
  const canaryMismatches = counter(
    "proofwatch_prover_canary_mismatches_total",
    "Values the canary found different from the known answers, by GPU uuid and check (g1_msm, g2_msm, ntt_forward, ntt_roundtrip: points or field elements; memory: 64-bit words).",
    ["uuid", "check"],
  );
  const canarySuccess = new Gauge({
    name: "proofwatch_prover_canary_success",
    help: "1 if the GPU's last canary passed, 0 if it failed or could not run; no sample before the first.",
    labelNames: ["uuid"],
    registers,
  });
  const canaryLastSuccess = new Gauge({
    name: "proofwatch_prover_canary_last_success_timestamp_seconds",
    help: "Unix time the GPU's last passing canary finished.",
    labelNames: ["uuid"],
    registers,
  });
  const canaryDuration = new Histogram({
    name: "proofwatch_prover_canary_duration_seconds",
    help: "Wall time of a canary run that finished (the known answers on the CPU, then the device checks).",
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });

  return {
    canary: (uuid, result, seconds, report) => {
      canaryRuns.inc({ uuid, result });
      canarySuccess.set({ uuid }, result === "passed" ? 1 : 0);
      if (result === "passed") canaryLastSuccess.set({ uuid }, Date.now() / 1000);
      if (result !== "error") canaryDuration.observe(seconds);
      for (const check of report?.checks ?? []) {
        if (check.mismatches > 0)
          canaryMismatches.inc({ uuid, check: check.kind }, check.mismatches);
      }
    },
    proof: (uuid, circuit, result) => proofs.inc({ uuid, circuit, result }),
    phase: (uuid, circuit, phase, seconds) => phases.observe({ uuid, circuit, phase }, seconds),
    deviceBytes: (uuid, bytes) => transfer.inc({ uuid }, bytes),
    energy: (uuid, circuit, joules) => energy.inc({ circuit, uuid }, joules),
    failure: (reason) => failures.inc({ reason }),
    retry: () => retries.inc(),
    deadlineExceeded: () => deadlines.inc(),
    received: (source) => received.inc({ source }),
    delivery: (result) => deliveries.inc({ result }),
    httpRefused: (reason) => httpRefused.inc({ reason }),
    render: () => registry.metrics(),
  };
}

/** The daemon's timings (seconds, its own keys) grouped into metric phases. */
export function groupPhases(timings: Record<string, number>): Array<[Phase, number]> {
  const grouped = new Map<Phase, number>();
  for (const [key, seconds] of Object.entries(timings)) {
    let phase: Phase | undefined;
    if (key === "load") phase = "load";
    else if (key === "witness_to_device" || key === "h2d") phase = "witness_to_device";
    else if (key === "build_abc") phase = "qap";
    else if (key === "ntt") phase = "ntt";
    else if (key.startsWith("msm")) phase = "msm";
    else if (key === "finalize") phase = "finalize";
    else if (key === "write") phase = "write";
    if (phase) grouped.set(phase, (grouped.get(phase) ?? 0) + seconds);
  }
  return [...grouped];
}
