import { gpuGauge, labelsOf, perGpuLabels, setIfPresent } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

const MEGAHERTZ = 1e6;

/** nvmlClocksEventReason* bits (called ThrottleReasons before driver 535). */
export const CLOCKS_EVENT_REASONS: ReadonlyArray<readonly [reason: string, bit: number]> = [
  ["gpu_idle", 0x1],
  ["applications_clocks_setting", 0x2],
  ["sw_power_cap", 0x4],
  ["hw_slowdown", 0x8],
  ["sync_boost", 0x10],
  ["sw_thermal_slowdown", 0x20],
  ["hw_thermal_slowdown", 0x40],
  ["hw_power_brake_slowdown", 0x80],
  ["display_clock_setting", 0x100],
];

export const clocks: CollectorFactory = {
  name: "clocks",
  defaultEnabled: true,
  groups: ["clocks"],
  description: "SM and memory clocks, and why the clocks are held below their maximum",
  create(families) {
    const sm = gpuGauge(
      families,
      "proofwatch_gpu_sm_clock_hertz",
      "Current streaming-multiprocessor clock.",
    );
    const mem = gpuGauge(families, "proofwatch_gpu_memory_clock_hertz", "Current memory clock.");
    const reasons = gpuGauge(
      families,
      "proofwatch_gpu_clocks_event_reason_active",
      "1 while this reason (throttle reason, in older drivers' words) holds the clocks down.",
      ["reason"],
    );
    const reasonSeries = perGpuLabels(({ gpu, uuid }) =>
      CLOCKS_EVENT_REASONS.map(([reason, bit]) => ({ labels: { gpu, uuid, reason }, bit })),
    );
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const labels = labelsOf(gpu);
          setIfPresent(sm, labels, values.get("smClockMegahertz"), MEGAHERTZ);
          setIfPresent(mem, labels, values.get("memoryClockMegahertz"), MEGAHERTZ);
          const mask = values.get("clocksEventReasons");
          if (mask === undefined) continue;
          for (const { labels, bit } of reasonSeries(gpu)) {
            // The mask is a u64 in NVML; the defined bits all fit in 32, where `&` is exact.
            reasons.set(labels, (mask & bit) !== 0 ? 1 : 0);
          }
        }
      },
    };
  },
};
