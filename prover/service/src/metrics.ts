// The prover service's metrics: OpenTelemetry instruments served on the service's own /metrics
// (common/otel-metrics.ts says how, and why not NodeSDK.start()).

import { createServiceMeter } from "../../../common/otel-metrics.js";
import type { RefusalReason } from "../../../common/web/index.js";
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
  failure(reason: FailureReason): void;
  retry(): void;
  deadlineExceeded(): void;
  received(source: "http" | "spool"): void;
  delivery(result: DeliveryResult): void;
  /** A request the web-security layer refused (common/web/security.ts). */
  httpRefused(reason: RefusalReason): void;
  render(): Promise<string>;
  shutdown(): Promise<void>;
}

export { CONTENT_TYPE } from "../../../common/otel-metrics.js";

// Seconds: a phase of a toy circuit takes microseconds, a 2^24 MSM on a CPU minutes.
const PHASE_BUCKETS = [
  0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

export function createMetrics(sources: MetricSources): ProverMetrics {
  const { meter, render, shutdown } = createServiceMeter("proofwatch-prover");

  const proofs = meter.createCounter("proofwatch_prover_proofs_total", {
    description: "Proof runs by GPU uuid, circuit and result (proved, failed, cancelled).",
  });
  const phases = meter.createHistogram("proofwatch_prover_phase_duration_seconds", {
    description: "Time per proving phase, by GPU uuid, circuit and phase.",
    advice: { explicitBucketBoundaries: PHASE_BUCKETS },
  });
  const transfer = meter.createCounter("proofwatch_prover_device_transfer_bytes_total", {
    description: "Bytes copied from host to device memory by GPU uuid (0 on the CPU backend).",
  });
  const failures = meter.createCounter("proofwatch_prover_job_failures_total", {
    description: "Failed proof runs by reason; each may be retried on another GPU.",
  });
  const retries = meter.createCounter("proofwatch_prover_job_retries_total", {
    description: "Failed runs put back in the queue for another GPU.",
  });
  const deadlines = meter.createCounter("proofwatch_prover_jobs_deadline_exceeded_total", {
    description: "Jobs that waited for a GPU longer than their deadline.",
  });
  const received = meter.createCounter("proofwatch_prover_jobs_received_total", {
    description: "Jobs accepted, by source (http, spool).",
  });
  const httpRefused = meter.createCounter("proofwatch_prover_http_requests_refused_total", {
    description:
      "Requests refused by the web-security layer, by reason (unauthenticated, bad_credentials, rate_limited).",
  });
  const deliveries = meter.createCounter("proofwatch_prover_verifier_submissions_total", {
    description:
      "Proof submissions to the verifier by result (accepted, rejected, unauthorized = credentials refused, error = retried, dropped).",
  });

  meter
    .createObservableGauge("proofwatch_prover_jobs_queued", {
      description: "Jobs waiting for a GPU.",
    })
    .addCallback((result) => result.observe(sources.queued()));
  const inFlight = meter.createObservableGauge("proofwatch_prover_jobs_in_flight", {
    description: "Jobs being proved, by GPU uuid (0 or 1: one job per GPU at a time).",
  });
  const quarantined = meter.createObservableGauge("proofwatch_prover_workers_quarantined", {
    description: "Workers whose GPU is on the quarantine list and takes no new job.",
  });
  const workers = meter.createObservableGauge("proofwatch_prover_workers", {
    description: "Workers, one per GPU found at start.",
  });
  meter.addBatchObservableCallback(
    (observer) => {
      const all = sources.workers();
      for (const worker of all) {
        observer.observe(inFlight, worker.busy ? 1 : 0, { uuid: worker.uuid });
      }
      observer.observe(quarantined, all.filter((worker) => worker.quarantined).length);
      observer.observe(workers, all.length);
    },
    [inFlight, quarantined, workers],
  );
  meter
    .createObservableGauge("proofwatch_prover_verifier_backlog", {
      description: "Proofs waiting to be delivered to the verifier (it is down or slow).",
    })
    .addCallback((result) => result.observe(sources.verifierBacklog()));
  meter
    .createObservableGauge("proofwatch_prover_quarantine_list_timestamp_seconds", {
      description: "Unix time the quarantine list was last read successfully.",
    })
    .addCallback((result) => {
      const at = sources.quarantineReadAt();
      if (at !== null) result.observe(at / 1000);
    });

  // Unlabelled counters are served from the start so rate() has a zero to begin from.
  deadlines.add(0);
  retries.add(0);

  return {
    proof: (uuid, circuit, result) => proofs.add(1, { uuid, circuit, result }),
    phase: (uuid, circuit, phase, seconds) => phases.record(seconds, { uuid, circuit, phase }),
    deviceBytes: (uuid, bytes) => transfer.add(bytes, { uuid }),
    failure: (reason) => failures.add(1, { reason }),
    retry: () => retries.add(1),
    deadlineExceeded: () => deadlines.add(1),
    received: (source) => received.add(1, { source }),
    delivery: (result) => deliveries.add(1, { result }),
    httpRefused: (reason) => httpRefused.add(1, { reason }),
    render,
    shutdown,
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
