// Every selected GPU's health at a glance: fleet counts, then one table row per GPU.
import { type AlertsConfig, temperatureSteps } from "../alert-config.js";
import type { Row } from "../dashboard.js";
import { stat, table, valueText } from "../panels.js";
import { alerts, exporter, quarantine, verifier } from "../queries.js";

export function healthRow(config: AlertsConfig): Row {
  return {
    title: "Fleet health",
    panels: [
      stat({
        title: "GPUs up",
        description: "Selected GPUs that answered the exporter's last scrape.",
        query: { expr: exporter.gpusUp },
        thresholds: [],
        decimals: 0,
      }),
      stat({
        title: "GPUs down",
        description:
          "Selected GPUs the exporter still knows but that no longer answer (lost, or slower than the scrape deadline).",
        query: { expr: exporter.gpusDown },
        thresholds: [[1, "red"]],
        decimals: 0,
      }),
      stat({
        title: "GPUs quarantined",
        description:
          "Selected GPUs the quarantine service holds out of service (proofwatch_quarantine_gpu_quarantined).",
        query: { expr: quarantine.selectedCount },
        thresholds: [[1, "orange"]],
        noValue: "0",
        decimals: 0,
      }),
      stat({
        title: "Firing alerts",
        description: "proofwatch alerts firing now for the selected hosts and GPUs.",
        query: { expr: alerts.firingCount },
        thresholds: [[1, "red"]],
        noValue: "0",
        decimals: 0,
      }),
      stat({
        title: "Proofs per minute",
        description:
          "Proofs the verifier received from the selected GPUs per minute, checked or left out by sampling.",
        query: { expr: verifier.proofsPerMinute },
        unit: "short",
        graph: true,
        thresholds: [],
      }),
      stat({
        title: "Invalid proofs",
        description:
          "Proofs from the selected GPUs the verifier found invalid or malformed in the dashboard's time range.",
        query: { expr: verifier.invalidOverRange },
        thresholds: [[1, "red"]],
        noValue: "0",
        decimals: 0,
      }),
      table({
        title: "GPUs",
        description:
          "One row per GPU. ECC counts are since the driver loaded, XIDs since the exporter started. Click a host to open the GPU detail.",
        height: 10,
        labels: ["instance", "gpu", "uuid"],
        link: {
          title: "GPU detail",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, for Grafana to expand.
          url: "/d/proofwatch-gpu-detail?var-host=${__data.fields.instance}&var-gpu=${__data.fields.uuid}&${__url_time_range}&${datasource:queryparam}",
        },
        queries: [
          {
            header: "Up",
            expr: exporter.up,
            mappings: valueText({ 0: ["lost", "red"], 1: ["up", "green"] }),
          },
          {
            header: "Temperature",
            expr: exporter.temperature,
            unit: "celsius",
            thresholds: temperatureSteps(config),
          },
          {
            header: "Uncorrected ECC",
            expr: exporter.uncorrectedEccVolatile,
            thresholds: [[1, "red"]],
          },
          { header: "XIDs", expr: exporter.xidsSinceStart, thresholds: [[1, "red"]] },
          {
            header: "Quarantined",
            expr: quarantine.perGpu,
            mappings: valueText({ 0: ["no", "green"], 1: ["quarantined", "red"] }),
          },
          { header: "Proofs/min", expr: verifier.proofsPerMinutePerGpu, unit: "short" },
          {
            header: "Invalid proofs",
            expr: verifier.invalidOverRangePerGpu,
            thresholds: [[1, "red"]],
          },
        ],
      }),
    ],
  };
}
