import { type AlertsConfig, durationMs, durationWords, forWords } from "../config.js";
import type { RuleGroup } from "../rule.js";

/** The window over which a link must never have reached its maximum while the GPU was busy. */
const BUSY_WINDOW = "10m";

function linkDegraded(current: string, maximum: string, busy: number): string {
  return [
    `max_over_time(${current}[${BUSY_WINDOW}])`,
    `  < ${maximum}`,
    "and on (job, instance, gpu, uuid)",
    `avg_over_time(proofwatch_gpu_utilization_ratio[${BUSY_WINDOW}]) > ${busy}`,
  ].join("\n");
}

export function pcieGroup(c: AlertsConfig): RuleGroup {
  const t = c.thresholds;
  // The descriptions say how long the link has been down while busy: the window plus `for:`.
  const busyFor = (
    alert: "ProofwatchGpuPcieLinkGenerationDegraded" | "ProofwatchGpuPcieLinkWidthDegraded",
  ) => durationWords(durationMs(BUSY_WINDOW) + durationMs(c.for[alert]));
  return {
    file: "pcie.rules.yml",
    name: "proofwatch-pcie",
    header: ["PCIe link health. Conventions are in alerts/README.md."],
    rules: [
      {
        comment: [
          "8 replays a minute is the threshold DCGM's PCIe health check uses",
          "(DCGM_FR_PCI_REPLAY_RATE); replays that high mean a marginal link or riser.",
        ],
        alert: "ProofwatchGpuPcieReplayRateHigh",
        expr: `rate(proofwatch_gpu_pcie_replay_errors_total[10m]) * 60 > ${t.pcieReplaysPerMinute}`,
        for: "ProofwatchGpuPcieReplayRateHigh",
        labels: { severity: "warning" },
        annotations: {
          summary: `GPU PCIe link replays more than ${t.pcieReplaysPerMinute} packets a minute.`,
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has replayed",
            `{{ $value | humanize }} PCIe packets a minute (threshold ${t.pcieReplaysPerMinute}) for ${forWords(c, "ProofwatchGpuPcieReplayRateHigh")}.`,
          ],
        },
      },
      {
        comment: [
          "GPUs lower their link generation (and on some boards width) when idle to save power,",
          "so a link below its maximum means nothing by itself. These two alerts fire only when",
          "the link never reached its maximum during 10 minutes in which the GPU was busy on",
          "average (utilization > 25 %), sustained for 15 more minutes. A busy GPU runs in P0,",
          "where a healthy link trains to its maximum.",
        ],
        alert: "ProofwatchGpuPcieLinkGenerationDegraded",
        expr: linkDegraded(
          "proofwatch_gpu_pcie_link_generation",
          "proofwatch_gpu_pcie_link_max_generation",
          t.pcieBusyUtilization,
        ),
        for: "ProofwatchGpuPcieLinkGenerationDegraded",
        labels: { severity: "warning" },
        annotations: {
          summary: "Busy GPU runs its PCIe link below the generation GPU and slot support.",
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} reached at most",
            `PCIe Gen {{ $value }} while busy for ${busyFor("ProofwatchGpuPcieLinkGenerationDegraded")}, below its maximum.`,
          ],
        },
      },
      {
        alert: "ProofwatchGpuPcieLinkWidthDegraded",
        expr: linkDegraded(
          "proofwatch_gpu_pcie_link_width",
          "proofwatch_gpu_pcie_link_max_width",
          t.pcieBusyUtilization,
        ),
        for: "ProofwatchGpuPcieLinkWidthDegraded",
        labels: { severity: "warning" },
        annotations: {
          summary: "Busy GPU runs its PCIe link narrower than GPU and slot support.",
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} reached at most",
            `x{{ $value }} PCIe lanes while busy for ${busyFor("ProofwatchGpuPcieLinkWidthDegraded")}, below its maximum.`,
          ],
        },
      },
    ],
  };
}
