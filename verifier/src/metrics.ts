// The verifier's metrics: OpenTelemetry instruments served on the service's own /metrics
// (common/otel-metrics.ts says how, and why not NodeSDK.start()).
import type { Attributes, Counter, Histogram } from "@opentelemetry/api";
import { createServiceMeter } from "../../common/otel-metrics.js";
import type { RefusalReason } from "../../common/web/index.js";
import type { ForbiddenReason } from "./attribution.js";

export type RejectReason =
  | "bad_request"
  | "too_large"
  | "unknown_circuit"
  | "queue_full"
  | "forbidden"
  | "unavailable";

export interface MetricSources {
  queueDepth(): number;
  queueCapacity(): number;
  circuits(): number;
  /** Per GPU: the rate it is checked at now and when it last gave a bad proof. */
  gpus(): Array<{ uuid: string; samplingRate: number; lastInvalidAt: number | null }>;
}

export interface VerifierMetrics {
  received: Counter<{ circuit: string; source: string }>;
  duplicates: Counter<{ circuit: string }>;
  replays: Counter<{ circuit: string; uuid: string }>;
  rejected: Counter<{ reason: RejectReason }>;
  /** Submissions naming a GPU or host outside what their sender may speak for. */
  forbidden: Counter<{ reason: ForbiddenReason; source: "http" | "spool" }>;
  checked: Counter<{ result: string; circuit: string; uuid: string }>;
  skipped: Counter<{ circuit: string; uuid: string }>;
  duration: Histogram<{ circuit: string }>;
  batchSize: Histogram<{ circuit: string }>;
  workerFailures: Counter<Attributes>;
  /** Requests the web-security layer refused (common/web/security.ts), by reason. */
  httpRefused: Counter<{ reason: RefusalReason }>;
  /** The Prometheus text exposition of every instrument. */
  render(): Promise<string>;
  shutdown(): Promise<void>;
}

export { CONTENT_TYPE } from "../../common/otel-metrics.js";

// Seconds: a single native Groth16 check is around a millisecond, a batch of hundreds or a
// hung worker up to the batch timeout.
const DURATION_BUCKETS = [
  0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export function createMetrics(sources: MetricSources): VerifierMetrics {
  const { meter, render, shutdown } = createServiceMeter("proofwatch-verifier");

  meter
    .createObservableGauge("proofwatch_verifier_queue_depth", {
      description:
        "Accepted proofs waiting for a worker (including those picked up after a restart).",
    })
    .addCallback((result) => result.observe(sources.queueDepth()));
  meter
    .createObservableGauge("proofwatch_verifier_queue_capacity", {
      description: "Queue depth at which new submissions are refused with 429.",
    })
    .addCallback((result) => result.observe(sources.queueCapacity()));
  meter
    .createObservableGauge("proofwatch_verifier_circuits", {
      description: "Circuits with a loaded verification key.",
    })
    .addCallback((result) => result.observe(sources.circuits()));

  // Per-GPU gauges, read from the store at scrape time so they never drift from it.
  const lastInvalid = meter.createObservableGauge(
    "proofwatch_verifier_last_invalid_proof_timestamp_seconds",
    {
      description:
        "Unix time of the last invalid or malformed proof from this GPU; absent for a GPU that never gave one.",
    },
  );
  const samplingRate = meter.createObservableGauge("proofwatch_verifier_sampling_rate", {
    description:
      "Share of this GPU's proofs checked now, 0..1: 1 while on probation after a bad proof, else the base rate.",
  });
  meter.addBatchObservableCallback(
    (observer) => {
      for (const gpu of sources.gpus()) {
        observer.observe(samplingRate, gpu.samplingRate, { uuid: gpu.uuid });
        if (gpu.lastInvalidAt !== null) {
          observer.observe(lastInvalid, gpu.lastInvalidAt / 1000, { uuid: gpu.uuid });
        }
      }
    },
    [lastInvalid, samplingRate],
  );

  const metrics: VerifierMetrics = {
    received: meter.createCounter("proofwatch_verifier_proofs_received_total", {
      description: "Submissions accepted and stored (before sampling), by circuit and source.",
    }),
    duplicates: meter.createCounter("proofwatch_verifier_proofs_duplicate_total", {
      description:
        "Retries of a submission already stored (same proof, job, GPU and expectation), answered with its id.",
    }),
    replays: meter.createCounter("proofwatch_verifier_proof_replays_total", {
      description:
        "Submissions of a proof first submitted for another job or by another GPU, by circuit and the replaying GPU's uuid; each is recorded invalid.",
    }),
    rejected: meter.createCounter("proofwatch_verifier_submissions_rejected_total", {
      description: "Submissions refused before storing, by reason.",
    }),
    forbidden: meter.createCounter("proofwatch_verifier_submissions_forbidden_total", {
      description:
        "Submissions refused because their sender may not speak for the GPU or host they name (403, or a spool folder moved to .rejected), by reason and source; nothing is recorded against the GPU.",
    }),
    checked: meter.createCounter("proofwatch_verifier_proofs_checked_total", {
      description: "Proofs checked, by result (valid, invalid, malformed), circuit and GPU uuid.",
    }),
    skipped: meter.createCounter("proofwatch_verifier_proofs_skipped_total", {
      description: "Proofs stored but not checked because sampling left them out.",
    }),
    duration: meter.createHistogram("proofwatch_verifier_verification_duration_seconds", {
      description: "Time to check one proof in a worker (a batch's time shared among its proofs).",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    batchSize: meter.createHistogram("proofwatch_verifier_batch_size", {
      description: "Proofs checked together in one batch.",
      advice: { explicitBucketBoundaries: BATCH_BUCKETS },
    }),
    workerFailures: meter.createCounter("proofwatch_verifier_worker_failures_total", {
      description: "Batches lost to a worker that crashed or timed out (their proofs are retried).",
    }),
    httpRefused: meter.createCounter("proofwatch_verifier_http_requests_refused_total", {
      description:
        "Requests refused by the web-security layer, by reason (unauthenticated, bad_credentials, rate_limited).",
    }),
    render,
    shutdown,
  };
  // A series without labels is served from the start, so rate() over it has a zero to begin
  // from; labelled ones appear with their first event.
  metrics.workerFailures.add(0);
  return metrics;
}
