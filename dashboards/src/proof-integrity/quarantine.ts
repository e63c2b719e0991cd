// The quarantine service's state and what it decided (docs/quarantine.md).
import { type AlertsConfig, forWords, percent } from "../alert-config.js";
import type { Row } from "../dashboard.js";
import { stat, table, timeseries, valueText } from "../panels.js";
import { quarantine } from "../queries.js";

const small = { width: 4, height: 4, decimals: 0 } as const;

export function quarantineRow(config: AlertsConfig): Row {
  const share = config.thresholds.quarantineShare;
  return {
    title: "Quarantine",
    panels: [
      stat({
        ...small,
        title: "GPUs quarantined",
        description: "GPUs quarantined one by one, fleet-wide.",
        thresholds: [[1, "orange"]],
        query: { expr: quarantine.gpus },
      }),
      stat({
        ...small,
        title: "Nodes quarantined",
        description: "Nodes quarantined as a whole (escalation), fleet-wide.",
        thresholds: [[1, "orange"]],
        query: { expr: quarantine.nodes },
      }),
      stat({
        ...small,
        decimals: 2,
        title: "Out of service",
        description: `Quarantined GPUs plus the GPUs of quarantined nodes over known GPUs. ProofwatchQuarantineShareHigh warns from ${percent(share)} for ${forWords(config, "ProofwatchQuarantineShareHigh")}; the share limit (--max-share) trips the breaker above it.`,
        unit: "percentunit",
        thresholds: [[share, "orange"]],
        query: { expr: quarantine.outOfServiceRatio },
      }),
      stat({
        ...small,
        title: "Breaker",
        description:
          "Open: the service suppresses every new quarantine until a person resets it (proofwatch quarantine reset-breaker).",
        mappings: valueText({ 0: ["closed", "green"], 1: ["OPEN", "red"] }),
        query: { expr: quarantine.breakerOpen },
      }),
      stat({
        ...small,
        title: "Actions pending",
        description:
          "Actions decided but not carried out yet: a backend (file, Kubernetes, Slurm, webhook) fails.",
        thresholds: [[1, "red"]],
        query: { expr: quarantine.outboxPending },
      }),
      stat({
        ...small,
        title: "Mode",
        description: "Dry run: the service records what it would do and changes nothing.",
        mappings: valueText({ 0: ["acting", "green"], 1: ["dry run", "blue"] }),
        query: { expr: quarantine.dryRun },
      }),
      table({
        title: "Quarantined GPUs",
        description:
          "GPUs held out of service now, fleet-wide. Release with proofwatch quarantine release UUID --reason TEXT.",
        width: 8,
        labels: ["host", "uuid"],
        queries: [
          {
            header: "State",
            expr: quarantine.quarantinedGpus,
            mappings: valueText({ 1: ["quarantined", "red"] }),
          },
        ],
      }),
      timeseries({
        title: "Quarantine decisions",
        description:
          "Alerts the service decided on, by outcome (quarantined, duplicate, stale, suppressed, opted_out, dry_run, resolved …).",
        width: 8,
        bars: true,
        decimals: 0,
        queries: [{ expr: quarantine.decisionsByOutcome, legend: "{{outcome}}" }],
      }),
      timeseries({
        title: "Actions and releases",
        description:
          "Backend actions by action and result, and GPUs released by mode (manual or auto).",
        width: 8,
        bars: true,
        decimals: 0,
        queries: [
          { expr: quarantine.actionsByResult, legend: "{{action}} {{result}}" },
          { expr: quarantine.releasesByMode, legend: "released ({{mode}})" },
        ],
      }),
    ],
  };
}
