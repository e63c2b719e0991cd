import { gpuGauge, labelsOf, setIfPresent } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

export const thermal: CollectorFactory = {
  name: "thermal",
  defaultEnabled: true,
  groups: ["thermal"],
  description: "GPU die temperature and fan speed",
  create(families) {
    const temperature = gpuGauge(
      families,
      "proofwatch_gpu_temperature_celsius",
      "GPU die temperature.",
    );
    const fan = gpuGauge(
      families,
      "proofwatch_gpu_fan_speed_ratio",
      "Intended fan speed as a fraction of its maximum (0..1); absent on passively cooled GPUs.",
    );
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const labels = labelsOf(gpu);
          setIfPresent(temperature, labels, values.get("temperatureGpuCelsius"));
          setIfPresent(fan, labels, values.get("fanSpeedPercent"), 0.01);
        }
      },
    };
  },
};
