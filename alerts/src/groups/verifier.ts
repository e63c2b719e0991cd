import { type AlertsConfig, forWords, percent } from "../config.js";
import { scrapeDown } from "../promql.js";
import type { RuleGroup } from "../rule.js";

export function verifierGroup(c: AlertsConfig): RuleGroup {
  const t = c.thresholds;
  const backlogFor = forWords(c, "ProofwatchVerifierBacklog");
  return {
    file: "verifier.rules.yml",
    name: "proofwatch-verifier",
    header: [
      "The verifier service (`proofwatch verifier`, docs/verifier.md): a queue that stays near its",
      "capacity, workers that keep failing, and the service itself down. Its verdicts on each",
      "GPU's proofs are in proof-integrity.rules.yml. Conventions (labels, job naming) are in",
      "alerts/README.md.",
    ],
    rules: [
      {
        comment: [
          "At capacity the verifier answers 429: provers keep proofs in their backlog and retry,",
          "and past --verifier-backlog they drop the oldest unchecked. 80% for 15 minutes is a",
          "queue that does not drain, not a burst. See docs/runbooks/ProofwatchVerifierBacklog.md.",
        ],
        alert: "ProofwatchVerifierBacklog",
        expr: `proofwatch_verifier_queue_depth / proofwatch_verifier_queue_capacity > ${t.verifierQueueRatio}`,
        for: "ProofwatchVerifierBacklog",
        labels: { severity: "warning" },
        annotations: {
          summary: `The verifier's queue has stayed above ${percent(t.verifierQueueRatio)} of its capacity for ${backlogFor}.`,
          description: [
            "The verifier on {{ $labels.instance }} has had its queue at",
            `{{ $value | humanizePercentage }} of capacity for ${backlogFor}; at 100% it refuses`,
            "proofs (429).",
          ],
        },
      },
      {
        comment: [
          "A lost batch is retried proof by proof, so one failure costs time, not verdicts. Three",
          "in 30 minutes is a worker that crashes or hangs on a pattern, or a host short of memory.",
          "The counter appears with its first failure, already at 1 (docs/metrics.md);",
          "increase() extrapolates such a series back towards 0, so the first failure counts.",
        ],
        alert: "ProofwatchVerifierWorkerFailures",
        expr: `increase(proofwatch_verifier_worker_failures_total[30m]) >= ${t.verifierWorkerFailures}`,
        labels: { severity: "warning" },
        annotations: {
          summary: `Verifier workers lost ${t.verifierWorkerFailures} or more batches in 30 minutes.`,
          description: [
            "Workers of the verifier on {{ $labels.instance }} crashed, hung past",
            '--batch-timeout or threw on {{ printf "%.0f" $value }} batches in the last 30 minutes.',
          ],
        },
      },
      {
        comment: [
          "Job naming as for the exporter (alerts/README.md): a job whose name contains",
          "`proofwatch` and then `verifier`, or any target that exposed the verifier's metrics in",
          "the last day.",
        ],
        alert: "ProofwatchVerifierDown",
        expr: scrapeDown(c.jobSelectors.verifier, "proofwatch_verifier_queue_capacity"),
        for: "ProofwatchVerifierDown",
        labels: { severity: "critical" },
        annotations: {
          summary: "Prometheus cannot scrape the proofwatch verifier; proofs may go unchecked.",
          description: [
            `Scrapes of {{ $labels.instance }} in job {{ $labels.job }} have failed for ${forWords(c, "ProofwatchVerifierDown")}`,
            "(up = {{ $value }}); invalid proofs get no alert and no quarantine while it is down.",
          ],
        },
      },
    ],
  };
}
