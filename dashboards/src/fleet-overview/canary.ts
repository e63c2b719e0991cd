// The known-answer canary across the fleet: which GPUs fail it (and so take no prover work),
// and how long ago each last passed (the quarantine service's automatic release needs a pass
// since the quarantine began).
import type { Row } from "../dashboard.js";
import { stat, table, valueText } from "../panels.js";
import { canary } from "../queries.js";

export function canaryRow(): Row {
  return {
    title: "GPU canary",
    panels: [
      stat({
        title: "GPUs failing the canary",
        description:
          "Selected GPUs whose last known-answer canary failed or could not run (proofwatch_prover_canary_success == 0): the prover gives them no work and ProofwatchGpuCanaryFailed quarantines them.",
        query: { expr: canary.failingCount },
        thresholds: [[1, "red"]],
        decimals: 0,
      }),
      stat({
        title: "Oldest canary pass",
        description:
          "Time since the selected GPU with the oldest passing canary last passed. Runs every --canary-interval (default 5m) on idle GPUs and give way to jobs, so a GPU busy for longer shows an older pass.",
        query: { expr: canary.oldestPassAge },
        unit: "s",
        thresholds: [[1800, "orange"]],
      }),
      table({
        title: "Canary per GPU",
        description:
          "Each GPU's last canary result, the time since it last passed, and since the prover started the runs that failed or could not run and the values that differed from the known answers (memory words, MSM points, NTT elements).",
        height: 8,
        labels: ["instance", "gpu", "uuid"],
        queries: [
          {
            header: "Last canary",
            expr: canary.lastResultPerGpu,
            mappings: valueText({ 0: ["failed", "red"], 1: ["passed", "green"] }),
          },
          { header: "Since last pass", expr: canary.passAgePerGpu, unit: "s" },
          { header: "Failed runs", expr: canary.failedRunsPerGpu, thresholds: [[1, "red"]] },
          { header: "Mismatches", expr: canary.mismatchesPerGpu, thresholds: [[1, "red"]] },
        ],
      }),
    ],
  };
}
