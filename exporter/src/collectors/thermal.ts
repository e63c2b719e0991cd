import { Gauge } from "prom-client";
import { labelsOf, readAll, setIfPresent } from "./read-all.js";
import type { CollectorFactory } from "./types.js";

export const thermal: CollectorFactory = {
  name: "thermal",
  defaultEnabled: true,
  description: "GPU die temperature and fan speed",
  create(registry) {
    const temperature = new Gauge({
      name: "proofwatch_gpu_temperature_celsius",
      help: "GPU die temperature.",
      labelNames: ["gpu", "uuid"],
      registers: [registry],
    });
    const fan = new Gauge({
      name: "proofwatch_gpu_fan_speed_ratio",
      help: "Intended fan speed as a fraction of its maximum (0..1); absent on passively cooled GPUs.",
      labelNames: ["gpu", "uuid"],
      registers: [registry],
    });
    return {
      collect: (context) =>
        readAll(context, "thermal", ["thermal"], (gpu, values) => {
          const labels = labelsOf(gpu);
          setIfPresent(temperature, labels, values.temperatureGpuCelsius);
          setIfPresent(fan, labels, values.fanSpeedPercent, 0.01);
        }),
    };
  },
};
