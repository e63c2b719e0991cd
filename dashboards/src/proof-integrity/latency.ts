import { type AlertsConfig, forWords, percent } from "../alert-config.js";
import type { Row } from "../dashboard.js";
import { timeseries } from "../panels.js";
import { verifier } from "../queries.js";

export function latencyRow(config: AlertsConfig): Row {
  return {
    title: "Verification latency and queue",
    panels: [
      timeseries({
        title: "Verification time per proof",
        description:
          "Time a worker took per proof (a batch's time shared among its proofs), by circuit: median, 99th percentile and mean.",
        unit: "s",
        width: 12,
        queries: [
          { expr: verifier.durationQuantile(0.5), legend: "{{circuit}} p50" },
          { expr: verifier.durationQuantile(0.99), legend: "{{circuit}} p99" },
          { expr: verifier.durationMean, legend: "{{circuit}} mean" },
        ],
      }),
      timeseries({
        title: "Batch size",
        description: "Proofs checked together in one batch, by circuit.",
        width: 6,
        queries: [
          { expr: verifier.batchSizeQuantile(0.5), legend: "{{circuit}} p50" },
          { expr: verifier.batchSizeQuantile(0.99), legend: "{{circuit}} p99" },
        ],
      }),
      timeseries({
        title: "Queue",
        description: `Proofs waiting for a worker against the depth at which new submissions are refused with 429. ProofwatchVerifierBacklog warns above ${percent(config.thresholds.verifierQueueRatio)} of it for ${forWords(config, "ProofwatchVerifierBacklog")}.`,
        width: 6,
        min: 0,
        decimals: 0,
        queries: [
          { expr: verifier.queueDepth, legend: "depth" },
          { expr: verifier.queueCapacity, legend: "capacity" },
        ],
      }),
    ],
  };
}
