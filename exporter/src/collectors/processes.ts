import { gpuGauge, labelsOf } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

export const processes: CollectorFactory = {
  name: "processes",
  defaultEnabled: true,
  groups: ["processes"],
  description: "Compute processes on each GPU and the device memory they hold",
  create(families) {
    // Per-process series would be unbounded (pids); a count and a sum are what alerts need.
    const count = gpuGauge(
      families,
      "proofwatch_gpu_compute_processes",
      "Compute processes running on the GPU.",
    );
    const used = gpuGauge(
      families,
      "proofwatch_gpu_compute_processes_memory_used_bytes",
      "Device memory held by compute processes, where the driver can tell.",
    );
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const list = values.text.computeProcesses;
          if (list === undefined) continue;
          const labels = labelsOf(gpu);
          count.set(labels, list.length);
          used.set(
            labels,
            list.reduce((sum, process) => sum + (process.usedGpuMemoryBytes ?? 0), 0),
          );
        }
      },
    };
  },
};
