import type { Row } from "../dashboard.js";
import { table, timeseries } from "../panels.js";
import { exporter } from "../queries.js";

export function xidRow(): Row {
  return {
    title: "XID errors",
    panels: [
      timeseries({
        title: "XID events",
        description:
          "Critical XID events per step, by code. 48, 63, 64, 74, 79, 92, 94, 95, 119 and 120 quarantine the GPU (ProofwatchGpuFatalXid). A series that starts at 1 has no increase over its first sample: see the table.",
        bars: true,
        decimals: 0,
        width: 14,
        queries: [{ expr: exporter.xidPerStep, legend: "{{instance}} GPU {{gpu}} XID {{xid}}" }],
      }),
      table({
        title: "XID events since exporter start",
        description: "Every XID code each GPU reported since the exporter started.",
        width: 10,
        labels: ["instance", "gpu", "xid"],
        queries: [{ header: "Events", expr: exporter.xidTotals }],
      }),
    ],
  };
}
