import { gpuGauge, labelsOf, setIfPresent } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

const PERCENT = 0.01;

export const utilization: CollectorFactory = {
  name: "utilization",
  defaultEnabled: true,
  groups: ["utilization"],
  description: "GPU and memory-controller busy ratios",
  create(families) {
    const gpuBusy = gpuGauge(
      families,
      "proofwatch_gpu_utilization_ratio",
      "Fraction of the last sample period in which a kernel ran on the GPU (0..1).",
    );
    const memoryBusy = gpuGauge(
      families,
      "proofwatch_gpu_memory_utilization_ratio",
      "Fraction of the last sample period in which device memory was read or written (0..1).",
    );
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const labels = labelsOf(gpu);
          setIfPresent(gpuBusy, labels, values.get("gpuUtilPercent"), PERCENT);
          setIfPresent(memoryBusy, labels, values.get("memoryUtilPercent"), PERCENT);
        }
      },
    };
  },
};
