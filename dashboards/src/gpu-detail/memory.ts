import type { Row } from "../dashboard.js";
import { timeseries } from "../panels.js";
import { exporter, LEGEND } from "../queries.js";

export function memoryRow(): Row {
  return {
    title: "Memory",
    panels: [
      timeseries({
        title: "Device memory",
        description: "Allocated, installed and driver-reserved device memory.",
        unit: "bytes",
        min: 0,
        queries: [
          { expr: exporter.memoryUsed, legend: `${LEGEND.gpu} used` },
          { expr: exporter.memoryTotal, legend: `${LEGEND.gpu} total` },
          { expr: exporter.memoryReserved, legend: `${LEGEND.gpu} reserved` },
        ],
      }),
      timeseries({
        title: "Compute processes",
        description: "Compute processes on the GPU and the device memory they hold.",
        unit: "bytes",
        min: 0,
        queries: [
          { expr: exporter.computeProcessesMemory, legend: `${LEGEND.gpu} memory` },
          { expr: exporter.computeProcesses, legend: `${LEGEND.gpu} processes` },
        ],
      }).overrideByRegexp(".* processes$", [
        { id: "unit", value: "short" },
        { id: "custom.axisPlacement", value: "right" },
      ]),
    ],
  };
}
