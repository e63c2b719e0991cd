import { Counter, Gauge } from "prom-client";
import { labelsOf, readAll, setCounterIfPresent, setIfPresent } from "./read-all.js";
import type { CollectorFactory } from "./types.js";

const MILLI = 1e-3;
/** NVML reports P-state 32 when it cannot tell. */
const PSTATE_UNKNOWN = 32;

export const power: CollectorFactory = {
  name: "power",
  defaultEnabled: true,
  description: "Power draw, enforced limit, energy since driver load and performance state",
  create(registry) {
    const labelNames = ["gpu", "uuid"] as const;
    const draw = new Gauge({
      name: "proofwatch_gpu_power_watts",
      help: "Power drawn by the board.",
      labelNames,
      registers: [registry],
    });
    const limit = new Gauge({
      name: "proofwatch_gpu_power_limit_watts",
      help: "Power limit the driver enforces.",
      labelNames,
      registers: [registry],
    });
    const energy = new Counter({
      name: "proofwatch_gpu_energy_joules_total",
      help: "Energy consumed since the driver was loaded.",
      labelNames,
      registers: [registry],
    });
    const pstate = new Gauge({
      name: "proofwatch_gpu_performance_state",
      help: "Performance state, 0 (fastest) to 15 (slowest).",
      labelNames,
      registers: [registry],
    });
    return {
      collect: (context) =>
        readAll(context, "power", ["power"], (gpu, values) => {
          const labels = labelsOf(gpu);
          setIfPresent(draw, labels, values.powerUsageMilliwatts, MILLI);
          setIfPresent(limit, labels, values.powerLimitMilliwatts, MILLI);
          setCounterIfPresent(energy, labels, values.totalEnergyMillijoules, MILLI);
          if (values.performanceState !== PSTATE_UNKNOWN)
            setIfPresent(pstate, labels, values.performanceState);
        }),
    };
  },
};
