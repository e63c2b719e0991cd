import { gpuGauge, labelsOf, setIfPresent } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

export const memory: CollectorFactory = {
  name: "memory",
  defaultEnabled: true,
  groups: ["memory"],
  description: "Device memory used, free, reserved and total",
  create(families) {
    const total = gpuGauge(
      families,
      "proofwatch_gpu_memory_total_bytes",
      "Device memory installed.",
    );
    const used = gpuGauge(families, "proofwatch_gpu_memory_used_bytes", "Device memory allocated.");
    const free = gpuGauge(
      families,
      "proofwatch_gpu_memory_free_bytes",
      "Device memory free to allocate.",
    );
    const reserved = gpuGauge(
      families,
      "proofwatch_gpu_memory_reserved_bytes",
      "Device memory the driver and firmware keep for themselves.",
    );
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const labels = labelsOf(gpu);
          setIfPresent(total, labels, values.get("memoryTotalBytes"));
          setIfPresent(used, labels, values.get("memoryUsedBytes"));
          setIfPresent(free, labels, values.get("memoryFreeBytes"));
          setIfPresent(reserved, labels, values.get("memoryReservedBytes"));
        }
      },
    };
  },
};
