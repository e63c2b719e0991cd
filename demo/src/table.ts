// The demo's live terminal table: one row per GPU, from a FleetView (view.ts).
import type { FleetView, GpuRow } from "./view.js";

const format = (n: number | undefined, digits = 0, unit = "") =>
  n === undefined ? "-" : `${n.toFixed(digits)}${unit}`;

function health(row: GpuRow): string {
  if (!row.up) return "LOST";
  const problems: string[] = [];
  if ((row.eccUncorrected ?? 0) > 0) problems.push(`uncorrected ECC ${row.eccUncorrected}`);
  if (row.xids > 0) problems.push(`XIDs ${row.xids}`);
  return problems.length > 0 ? problems.join(", ") : "ok";
}

function quarantine(row: GpuRow): string {
  if (row.quarantined) return `QUARANTINED (${row.quarantined})${row.drained ? ", drained" : ""}`;
  if (row.canaryHold === "failed") return "CANARY FAILED, no work";
  if (row.canaryHold) return `canary ${row.canaryHold}`;
  return row.drained ? "drained" : "in service";
}

export function renderTable(view: FleetView, elapsedSeconds: number): string {
  const header = [
    "GPU",
    "UUID",
    "HEALTH",
    "TEMP",
    "PROOFS/MIN",
    "LAST VERDICT",
    "QUARANTINE",
    "FIRING ALERTS",
  ];
  const rows = view.rows.map((row) => [
    row.gpu,
    `${row.uuid.slice(0, 12)}…`,
    health(row),
    format(row.temperatureCelsius, 0, " C"),
    format(row.proofsPerMinute),
    row.lastVerdict ?? "-",
    quarantine(row),
    row.alerts.join(", ") || "-",
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [
    `proofwatch demo — ${Math.round(elapsedSeconds)} s — Ctrl-C stops everything`,
    "",
    line(header),
    ...rows.map(line),
    "",
    `host alerts: ${view.hostAlerts.join(", ") || "none"}`,
    view.jobs
      ? `prover: ${view.jobs.proved} proofs made, ${view.jobs.queued} jobs waiting, ${view.jobs.failed} runs failed`
      : "prover: not answering",
  ].join("\n");
}
