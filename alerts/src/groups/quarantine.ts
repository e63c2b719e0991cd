import { type AlertsConfig, forWords, percent } from "../config.js";
import { scrapeDown } from "../promql.js";
import type { RuleGroup } from "../rule.js";

export function quarantineGroup(c: AlertsConfig): RuleGroup {
  const t = c.thresholds;
  const outboxFor = forWords(c, "ProofwatchQuarantineOutboxStuck");
  return {
    file: "quarantine.rules.yml",
    name: "proofwatch-quarantine",
    header: [
      "The quarantine service (`proofwatch quarantine`, docs/quarantine.md): its safety limits",
      "reached, decided actions not carried out, and the service itself down. Conventions (labels,",
      "job naming) are in alerts/README.md.",
    ],
    rules: [
      {
        comment: [
          "The breaker refuses every new quarantine until a person resets it (docs/quarantine.md,",
          '"Safety"): GPUs that fail from now on keep proving.',
        ],
        alert: "ProofwatchQuarantineBreakerOpen",
        expr: "proofwatch_quarantine_breaker_open == 1",
        labels: { severity: "critical" },
        annotations: {
          summary:
            "The quarantine circuit breaker is open; no GPU is quarantined until a person resets it.",
          description: [
            "The quarantine service on {{ $labels.instance }} has its circuit breaker open",
            "(proofwatch_quarantine_breaker_open = {{ $value }}); new quarantines are suppressed.",
          ],
        },
      },
      {
        comment: [
          "The service does not export --max-share; 0.2 is 80% of its default, 0.25. Past the",
          "limit the breaker trips (ProofwatchQuarantineBreakerOpen): this is the warning before.",
          "Change the threshold with --max-share.",
        ],
        alert: "ProofwatchQuarantineShareHigh",
        expr: `proofwatch_quarantine_out_of_service_ratio >= ${t.quarantineShare}`,
        for: "ProofwatchQuarantineShareHigh",
        labels: { severity: "warning" },
        annotations: {
          summary: `At least ${percent(t.quarantineShare)} of the fleet's GPUs are out of service, near the quarantine share limit.`,
          description: [
            "The quarantine service on {{ $labels.instance }} has had",
            `{{ $value | humanizePercentage }} of known GPUs out of service for ${forWords(c, "ProofwatchQuarantineShareHigh")}; past`,
            "--max-share (default 25%) its breaker trips.",
          ],
        },
      },
      {
        comment: [
          "Pending intents are retried every --retry-interval (default 10 s); ten minutes of",
          "retries is a backend that keeps failing, and a GPU decided out that still takes work.",
        ],
        alert: "ProofwatchQuarantineOutboxStuck",
        expr: "proofwatch_quarantine_outbox_pending > 0",
        for: "ProofwatchQuarantineOutboxStuck",
        labels: { severity: "critical" },
        annotations: {
          summary: `Quarantine actions have been pending for ${outboxFor}; a backend keeps failing.`,
          description: [
            "The quarantine service on {{ $labels.instance }} has had {{ $value }} actions",
            `decided but not carried out for ${outboxFor}; the GPUs they concern may still be in`,
            "service.",
          ],
        },
      },
      {
        comment: [
          "In a cluster that serves DRA device taints, a quarantined GPU that no DeviceTaintRule",
          "covers (no ResourceSlice of gpu.nvidia.com lists it) can still be given to new pods.",
          "Device-plugin clusters (enforced = 0) are left out: there the node annotation is the",
          "documented mechanism, logged at start (docs/quarantine.md).",
        ],
        alert: "ProofwatchQuarantineGpuNotEnforced",
        expr: [
          "proofwatch_quarantine_gpus_not_enforced > 0",
          "and on (job, instance) proofwatch_quarantine_gpu_quarantine_enforced == 1",
        ].join("\n"),
        for: "ProofwatchQuarantineGpuNotEnforced",
        labels: { severity: "warning" },
        annotations: {
          summary: "Quarantined GPUs are not kept from new pods: no device taint covers them.",
          description: [
            "The quarantine service on {{ $labels.instance }} has had {{ $value }} quarantined",
            `GPUs that no DeviceTaintRule covers for ${forWords(c, "ProofwatchQuarantineGpuNotEnforced")}; Kubernetes may still`,
            "schedule pods onto them.",
          ],
        },
      },
      {
        comment: [
          "Job naming as for the exporter (alerts/README.md): a job whose name contains",
          "`proofwatch` and then `quarantine`, or any target that exposed the service's metrics in",
          "the last day.",
        ],
        alert: "ProofwatchQuarantineDown",
        expr: scrapeDown(c.jobSelectors.quarantine, "proofwatch_quarantine_dry_run"),
        for: "ProofwatchQuarantineDown",
        labels: { severity: "critical" },
        annotations: {
          summary: "Prometheus cannot scrape the proofwatch quarantine service.",
          description: [
            `Scrapes of {{ $labels.instance }} in job {{ $labels.job }} have failed for ${forWords(c, "ProofwatchQuarantineDown")}`,
            "(up = {{ $value }}); quarantine alerts may not be acted on while it is down.",
          ],
        },
      },
    ],
  };
}
