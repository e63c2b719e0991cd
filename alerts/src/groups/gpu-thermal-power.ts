import { type AlertsConfig, forWords } from "../config.js";
import type { RuleGroup } from "../rule.js";

export function gpuThermalPowerGroup(c: AlertsConfig): RuleGroup {
  const hot = c.thresholds.gpuTemperatureCelsius;
  const hotFor = forWords(c, "ProofwatchGpuTemperatureHigh");
  const slowFor = forWords(c, "ProofwatchGpuHardwareSlowdown");
  return {
    file: "gpu-thermal-power.rules.yml",
    name: "proofwatch-gpu-thermal-power",
    header: ["GPU temperature and the hardware clock brakes. Conventions are in alerts/README.md."],
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
    ],
  };
}
