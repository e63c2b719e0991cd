import type { Row } from "../dashboard.js";
import { timeseries } from "../panels.js";
import { exporter, LEGEND } from "../queries.js";

export function clocksRow(): Row {
  return {
    title: "Clocks and throttling",
    panels: [
      timeseries({
        title: "Clocks",
        description:
          "SM and memory clocks. A drop under load with a throttle reason below is the GPU holding itself back.",
        unit: "hertz",
        min: 0,
        queries: [
          { expr: exporter.smClock, legend: `${LEGEND.gpu} SM` },
          { expr: exporter.memoryClock, legend: `${LEGEND.gpu} memory` },
        ],
      }),
      timeseries({
        title: "Throttle reasons",
        description:
          "Selected GPUs each clocks-event reason holds down (0 or 1 for one GPU). hw_slowdown, hw_thermal_slowdown and hw_power_brake_slowdown fire ProofwatchGpuHardwareSlowdown after 10 minutes; gpu_idle is harmless.",
        stack: true,
        min: 0,
        decimals: 0,
        queries: [{ expr: exporter.clocksEventReasons, legend: "{{reason}}" }],
      }),
    ],
  };
}
