// The demo's live terminal table: one row per GPU, read from the exporter's own scrape and
// from the alerts Prometheus has firing.
import { type Exposition, find } from "../../common/exposition.js";

export interface FiringAlert {
  alertname: string;
  uuid?: string;
  severity?: string;
}

function value(
  metrics: Exposition,
  name: string,
  where: Record<string, string>,
): number | undefined {
  return find(metrics, name, where)[0]?.value;
}

function sum(metrics: Exposition, name: string, where: Record<string, string>): number {
  return find(metrics, name, where).reduce((total, sample) => total + sample.value, 0);
}

const format = (n: number | undefined, digits = 0, unit = "") =>
  n === undefined ? "-" : `${n.toFixed(digits)}${unit}`;

export function renderTable(
  metrics: Exposition,
  alerts: FiringAlert[],
  elapsedSeconds: number,
): string {
  const header = [
    "GPU",
    "UUID",
    "UP",
    "TEMP",
    "POWER",
    "ECC CORR",
    "ECC UNCORR",
    "XIDS",
    "FIRING ALERTS",
  ];
  const rows = find(metrics, "proofwatch_gpu_up").map((up) => {
    const gpu = { gpu: up.labels.gpu ?? "", uuid: up.labels.uuid ?? "" };
    const ecc = (type: string) =>
      value(metrics, "proofwatch_gpu_ecc_errors_total", { ...gpu, type, counter: "volatile" });
    const firing = alerts
      .filter((alert) => alert.uuid === gpu.uuid)
      .map((alert) => alert.alertname);
    return [
      gpu.gpu,
      `${gpu.uuid.slice(0, 12)}…`,
      up.value === 1 ? "yes" : "LOST",
      format(value(metrics, "proofwatch_gpu_temperature_celsius", gpu), 0, " C"),
      format(value(metrics, "proofwatch_gpu_power_watts", gpu), 0, " W"),
      format(ecc("corrected")),
      format(ecc("uncorrected")),
      format(sum(metrics, "proofwatch_gpu_xid_errors_total", gpu)),
      firing.join(", ") || "-",
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ");
  const fleetAlerts = alerts.filter((alert) => !alert.uuid).map((alert) => alert.alertname);
  return [
    `proofwatch demo — ${Math.round(elapsedSeconds)} s — Ctrl-C stops everything`,
    "",
    line(header),
    ...rows.map(line),
    "",
    `host alerts: ${fleetAlerts.join(", ") || "none"}`,
  ].join("\n");
}
