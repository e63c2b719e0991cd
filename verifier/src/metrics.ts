// The verifier's metrics: prom-client instruments in the service's own registry, served on its
// /metrics with the process metrics and build info every service has (common/metrics.ts).
import { Counter, Gauge, Histogram } from "prom-client";
import { createServiceRegistry, fillGauge, readGauge } from "../../common/metrics.js";
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

/** A counter whose label values are typed, as the call sites name them. */
interface TypedCounter<L extends Record<string, string>> {
  inc(labels: L, value?: number): void;
}

export interface VerifierMetrics {
  received: TypedCounter<{ circuit: string; source: string }>;
  duplicates: TypedCounter<{ circuit: string }>;
  replays: TypedCounter<{ circuit: string; uuid: string }>;
  rejected: TypedCounter<{ reason: RejectReason }>;
  /** Submissions naming a GPU or host outside what their sender may speak for. */
  forbidden: TypedCounter<{ reason: ForbiddenReason; source: "http" | "spool" }>;
  checked: TypedCounter<{ result: string; circuit: string; uuid: string }>;
  skipped: TypedCounter<{ circuit: string; uuid: string }>;
  duration: Histogram<"circuit">;
  batchSize: Histogram<"circuit">;
  workerFailures: Counter;
  /** Requests the web-security layer refused (common/web/security.ts), by reason. */
  httpRefused: TypedCounter<{ reason: RefusalReason }>;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
}

export { CONTENT_TYPE } from "../../common/metrics.js";

// Seconds: a single native Groth16 check is around a millisecond, a batch of hundreds or a
// hung worker up to the batch timeout.
const DURATION_BUCKETS = [
  0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export function createMetrics(sources: MetricSources): VerifierMetrics {
  const registry = createServiceRegistry("verifier");
  const registers = [registry];

  readGauge(
    registry,
    "proofwatch_verifier_queue_depth",
    "Accepted proofs waiting for a worker (including those picked up after a restart).",
    sources.queueDepth,
  );
  readGauge(
    registry,
    "proofwatch_verifier_queue_capacity",
    "Queue depth at which new submissions are refused with 429.",
    sources.queueCapacity,
  );
  readGauge(
    registry,
    "proofwatch_verifier_circuits",
    "Circuits with a loaded verification key.",
    sources.circuits,
  );

  // Per-GPU gauges, read from the store at scrape time so they never drift from it. One read
  // fills both: the registry collects its metrics in the order they were registered, so
  // lastInvalid's fill runs before samplingRate is served (prom-client's own process metrics
  // rely on the same).
  const samplingRate = new Gauge({
    name: "proofwatch_verifier_sampling_rate",
    help: "Share of this GPU's proofs checked now, 0..1: 1 while on probation after a bad proof, else the base rate.",
    labelNames: ["uuid"],
    // Registered below, after the gauge whose fill sets it (not in prom-client's global registry).
    registers: [],
  });
  fillGauge(
    registry,
    "proofwatch_verifier_last_invalid_proof_timestamp_seconds",
    "Unix time of the last invalid or malformed proof from this GPU; absent for a GPU that never gave one.",
    ["uuid"],
    (set) => {
      samplingRate.reset();
      for (const gpu of sources.gpus()) {
        samplingRate.set({ uuid: gpu.uuid }, gpu.samplingRate);
        if (gpu.lastInvalidAt !== null) set({ uuid: gpu.uuid }, gpu.lastInvalidAt / 1000);
      }
    },
  );
  registry.registerMetric(samplingRate);

  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers });

  return {
    received: counter(
      "proofwatch_verifier_proofs_received_total",
      "Submissions accepted and stored (before sampling), by circuit and source.",
      ["circuit", "source"],
    ),
    duplicates: counter(
      "proofwatch_verifier_proofs_duplicate_total",
      "Retries of a submission already stored (same proof, job, GPU and expectation), answered with its id.",
      ["circuit"],
    ),
    replays: counter(
      "proofwatch_verifier_proof_replays_total",
      "Submissions of a proof first submitted for another job or by another GPU, by circuit and the replaying GPU's uuid; each is recorded invalid.",
      ["circuit", "uuid"],
    ),
    rejected: counter(
      "proofwatch_verifier_submissions_rejected_total",
      "Submissions refused before storing, by reason.",
      ["reason"],
    ),
    forbidden: counter(
      "proofwatch_verifier_submissions_forbidden_total",
      "Submissions refused because their sender may not speak for the GPU or host they name (403, or a spool folder moved to .rejected), by reason and source; nothing is recorded against the GPU.",
      ["reason", "source"],
    ),
    checked: counter(
      "proofwatch_verifier_proofs_checked_total",
      "Proofs checked, by result (valid, invalid, malformed), circuit and GPU uuid.",
      ["result", "circuit", "uuid"],
    ),
    skipped: counter(
      "proofwatch_verifier_proofs_skipped_total",
      "Proofs stored but not checked because sampling left them out.",
      ["circuit", "uuid"],
    ),
    duration: new Histogram({
      name: "proofwatch_verifier_verification_duration_seconds",
      help: "Time to check one proof in a worker (a batch's time shared among its proofs).",
      labelNames: ["circuit"],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    batchSize: new Histogram({
      name: "proofwatch_verifier_batch_size",
      help: "Proofs checked together in one batch.",
      labelNames: ["circuit"],
      buckets: BATCH_BUCKETS,
      registers,
    }),
    // Unlabelled, so served as 0 from the start: rate() over it has a zero to begin from.
    // Labelled counters' series appear with their first event.
    workerFailures: counter(
      "proofwatch_verifier_worker_failures_total",
      "Batches lost to a worker that crashed or timed out (their proofs are retried).",
    ),
    httpRefused: counter(
      "proofwatch_verifier_http_requests_refused_total",
      "Requests refused by the web-security layer, by reason (unauthenticated, bad_credentials, rate_limited).",
      ["reason"],
    ),
    render: () => registry.metrics(),
  };
}
