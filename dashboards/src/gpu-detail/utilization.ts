import type { Row } from "../dashboard.js";
import { timeseries } from "../panels.js";
import { exporter, LEGEND } from "../queries.js";

export function utilizationRow(): Row {
  return {
    title: "Utilization",
    panels: [
      timeseries({
        title: "GPU utilization",
        description:
          "Share of the last sample period a kernel ran. A prover GPU sitting near 0 is stuck or starved.",
        unit: "percentunit",
        min: 0,
        max: 1,
        width: 8,
        queries: [{ expr: exporter.utilization, legend: LEGEND.gpu }],
      }),
      timeseries({
        title: "Memory utilization",
        description: "Share of the last sample period device memory was read or written.",
        unit: "percentunit",
        min: 0,
        max: 1,
        width: 8,
        queries: [{ expr: exporter.memoryUtilization, legend: LEGEND.gpu }],
      }),
      timeseries({
        title: "Performance state",
        description: "P-state: 0 is fastest, 15 slowest. A busy GPU outside P0 is held back.",
        width: 8,
        min: 0,
        decimals: 0,
        queries: [{ expr: exporter.performanceState, legend: LEGEND.gpu }],
      }),
    ],
  };
}
