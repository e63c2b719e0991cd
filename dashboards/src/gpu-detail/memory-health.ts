// Device memory health: ECC, page retirement (before Ampere) and row remapping (Ampere on).
import type { AlertsConfig } from "../alert-config.js";
import type { Row } from "../dashboard.js";
import { timeseries, valueText } from "../panels.js";
import { exporter, LEGEND } from "../queries.js";

export function memoryHealthRow(config: AlertsConfig): Row {
  return {
    title: "ECC, retired pages and remapped rows",
    panels: [
      timeseries({
        title: "ECC errors per second",
        description: `Volatile ECC errors by type. Any uncorrected error quarantines the GPU (ProofwatchGpuUncorrectedEccErrors); corrected errors above ${config.thresholds.gpuCorrectedEccErrorsPerHour} an hour warn (ProofwatchGpuCorrectedEccErrorRateHigh).`,
        unit: "reqps",
        width: 8,
        queries: [{ expr: exporter.eccErrorRate, legend: LEGEND.gpuAnd("type") }],
      }),
      timeseries({
        title: "ECC errors, lifetime",
        description: "Aggregate ECC counts kept by the GPU across driver reloads, by type.",
        width: 8,
        decimals: 0,
        queries: [{ expr: exporter.eccErrorsAggregate, legend: LEGEND.gpuAnd("type") }],
      }),
      timeseries({
        title: "ECC mode",
        description:
          "1 when ECC is on now and after the next reboot. A prover GPU without ECC cannot detect memory faults.",
        width: 8,
        min: 0,
        max: 1,
        mappings: valueText({ 0: ["off", "red"], 1: ["on", "green"] }),
        queries: [
          { expr: exporter.eccEnabled, legend: `${LEGEND.gpu} current` },
          { expr: exporter.eccPendingEnabled, legend: `${LEGEND.gpu} pending` },
        ],
      }),
      timeseries({
        title: "Retired pages",
        description:
          "Pages retired for multiple single-bit or double-bit ECC errors (GPUs before Ampere), and whether a retirement waits for a reset.",
        width: 12,
        decimals: 0,
        queries: [
          { expr: exporter.retiredPages, legend: LEGEND.gpuAnd("cause") },
          { expr: exporter.retiredPagesPending, legend: `${LEGEND.gpu} pending` },
        ],
      }),
      timeseries({
        title: "Remapped rows",
        description:
          "Rows remapped (Ampere and later) by kind, whether a remap waits for a reset, and whether one failed for lack of spare rows (ProofwatchGpuRowRemapFailure quarantines the GPU).",
        width: 12,
        decimals: 0,
        queries: [
          { expr: exporter.remappedRows, legend: LEGEND.gpuAnd("kind") },
          { expr: exporter.remappedRowsPending, legend: `${LEGEND.gpu} pending` },
          { expr: exporter.remappedRowsFailure, legend: `${LEGEND.gpu} failure` },
        ],
      }),
    ],
  };
}
