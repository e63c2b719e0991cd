import { type AlertsConfig, durationMs, durationWords, forWords, percent } from "../config.js";
import type { AlertRule, RuleGroup } from "../rule.js";

/** The window over which a software reason must have held the clocks while the GPU was busy. */
const HELD_WINDOW = "15m";

/** The node power series the budget alert and the dashboards read. */
export const NODE_POWER_RECORD = "proofwatch:node_power_watts:sum";

/**
 * A regex matching `instance` for a host (the alerts' host label: `instance` less its port),
 * with or without the port; an IPv6 address in brackets as `instance` writes it with one.
 */
function instanceOf(host: string): string {
  const escaped = host.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&");
  return host.includes(":") ? `\\\\[${escaped}\\\\](:[0-9]+)?|${escaped}` : `${escaped}(:[0-9]+)?`;
}

/**
 * Each node's GPU power as a share of its budget: each listed host against its own budget,
 * every other node against the default. `above` ends each branch (" > 1" in the alert);
 * `matchers` narrow the series (the dashboards' host variable).
 */
export function nodePowerBudgetShare(
  c: AlertsConfig,
  options: { above?: string; matchers?: string } = {},
): string {
  const { above = "", matchers } = options;
  const series = (own?: string) => {
    const all = [matchers, own].filter((m) => m !== undefined);
    return all.length > 0 ? `${NODE_POWER_RECORD}{${all.join(", ")}}` : NODE_POWER_RECORD;
  };
  const hosts = Object.entries(c.thresholds.nodePowerBudgetWattsByHost);
  const branches = hosts.map(
    ([host, watts]) => `${series(`instance=~"${instanceOf(host)}"`)} / ${watts}${above}`,
  );
  const listed = hosts.map(([host]) => instanceOf(host)).join("|");
  const others = hosts.length > 0 ? `instance!~"${listed}"` : undefined;
  branches.push(`${series(others)} / ${c.thresholds.nodePowerBudgetWatts}${above}`);
  return branches.join("\nor\n");
}

/** A software clock reason active for most of the window while the GPU was busy. */
function heldWhileBusy(
  c: AlertsConfig,
  alert: "ProofwatchGpuPowerCapped" | "ProofwatchGpuSoftwareThermalSlowdown",
  reason: string,
  what: { summary: string; cause: string },
  comment: readonly string[],
): AlertRule {
  const t = c.thresholds;
  const held = durationWords(durationMs(HELD_WINDOW) + durationMs(c.for[alert]));
  return {
    comment,
    alert,
    expr: [
      `avg_over_time(proofwatch_gpu_clocks_event_reason_active{reason="${reason}"}[${HELD_WINDOW}])`,
      `  >= ${t.gpuClocksHeldShare}`,
      "and on (job, instance, gpu, uuid)",
      `avg_over_time(proofwatch_gpu_utilization_ratio[${HELD_WINDOW}]) > ${t.gpuBusyUtilization}`,
    ].join("\n"),
    for: alert,
    labels: { severity: "warning" },
    annotations: {
      summary: `Busy GPU's clocks held down ${what.summary} for most of ${held}.`,
      description: [
        "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has had its",
        `clocks held down by ${reason} for {{ $value | humanizePercentage }} of each ${durationWords(HELD_WINDOW)}`,
        `(threshold ${percent(t.gpuClocksHeldShare)}) over ${held} while more than ${percent(t.gpuBusyUtilization)} busy:`,
        `${what.cause}`,
      ],
    },
  };
}

export function gpuThermalPowerGroup(c: AlertsConfig): RuleGroup {
  const hot = c.thresholds.gpuTemperatureCelsius;
  const hotFor = forWords(c, "ProofwatchGpuTemperatureHigh");
  const slowFor = forWords(c, "ProofwatchGpuHardwareSlowdown");
  const budgetFor = forWords(c, "ProofwatchNodePowerOverBudget");
  return {
    file: "gpu-thermal-power.rules.yml",
    name: "proofwatch-gpu-thermal-power",
    header: [
      "GPU temperature, the clock brakes that cost proving throughput, and node power against",
      "its budget. Conventions are in alerts/README.md.",
    ],
    records: [
      {
        comment: [
          "A node's GPU power: the sum over the GPUs one exporter (one host) reports. The budget",
          "alert and the fleet dashboard read it; a host whose exporter is down has no series.",
        ],
        record: NODE_POWER_RECORD,
        expr: "sum by (job, instance) (proofwatch_gpu_power_watts)",
      },
    ],
    rules: [
      {
        comment: [
          "85 C sits a few degrees below the slowdown temperature of A100/H100 boards",
          '(nvidia-smi -q -d TEMPERATURE, "GPU Slowdown Temp"): this warns before clocks drop.',
        ],
        alert: "ProofwatchGpuTemperatureHigh",
        expr: `proofwatch_gpu_temperature_celsius > ${hot}`,
        for: "ProofwatchGpuTemperatureHigh",
        labels: { severity: "warning" },
        annotations: {
          summary: `GPU has run above ${hot} C for ${hotFor}.`,
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} is at",
            `{{ $value | humanize }} C and has been above ${hot} C for ${hotFor}.`,
          ],
        },
      },
      {
        comment: [
          "Hardware brakes (thermal sensor, power-supply brake signal) halve clocks or worse;",
          "a few seconds of them during a power transient are normal, 10 minutes are not.",
          "hw_slowdown is set whenever either of the other two is, so one GPU can raise two of",
          "these; Alertmanager groups them by instance and uuid.",
        ],
        alert: "ProofwatchGpuHardwareSlowdown",
        expr: 'proofwatch_gpu_clocks_event_reason_active{reason=~"hw_thermal_slowdown|hw_power_brake_slowdown|hw_slowdown"} == 1',
        for: "ProofwatchGpuHardwareSlowdown",
        labels: { severity: "warning" },
        annotations: {
          summary: `GPU clocks have been held down by a hardware brake for ${slowFor}.`,
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has had",
            `clock event reason {{ $labels.reason }} active (value {{ $value }}) for ${slowFor}.`,
          ],
        },
      },
      heldWhileBusy(
        c,
        "ProofwatchGpuPowerCapped",
        "sw_power_cap",
        {
          summary: "by its power cap",
          cause: "the board draws its enforced power limit, so proofs take longer than they would.",
        },
        [
          "The power cap holding the clocks for a moment is normal under load; for most of",
          "15 minutes while proving, it costs throughput: a lowered limit (nvidia-smi -pl), a",
          "site power policy, or a board drawing more for the same work.",
        ],
      ),
      heldWhileBusy(
        c,
        "ProofwatchGpuSoftwareThermalSlowdown",
        "sw_thermal_slowdown",
        {
          summary: "by the driver for its temperature",
          cause: "the driver lowers the clocks to cool the GPU, so proofs take longer.",
        },
        [
          "The driver's own thermal slowdown acts before the hardware brake does; for most of",
          "15 minutes while proving it costs throughput and points at cooling.",
        ],
      ),
      {
        comment: [
          "The default budget: 8 H100 SXM boards at their 700 W limit draw 5.6 kW, so 5 kW",
          "sustained means a full node running near its limit. Set each node's own budget",
          "(thresholds.nodePowerBudgetWattsByHost) from its rack's power allocation.",
        ],
        alert: "ProofwatchNodePowerOverBudget",
        expr: nodePowerBudgetShare(c, { above: " > 1" }),
        for: "ProofwatchNodePowerOverBudget",
        labels: { severity: "warning" },
        annotations: {
          summary: `Node's GPUs have drawn more than its power budget for ${budgetFor}.`,
          description: [
            "The GPUs of {{ $labels.instance }} have drawn {{ $value | humanizePercentage }}",
            `of the node's power budget for ${budgetFor}.`,
          ],
        },
      },
    ],
  };
}
