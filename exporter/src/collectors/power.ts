import { gpuCounter, gpuGauge, labelsOf, setIfPresent } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

const MILLI = 1e-3;
/** NVML reports P-state 32 when it cannot tell. */
const PSTATE_UNKNOWN = 32;

export const power: CollectorFactory = {
  name: "power",
  defaultEnabled: true,
  groups: ["power"],
  description: "Power draw, enforced limit, energy since driver load and performance state",
  create(families) {
    const draw = gpuGauge(families, "proofwatch_gpu_power_watts", "Power drawn by the board.");
    const limit = gpuGauge(
      families,
      "proofwatch_gpu_power_limit_watts",
      "Power limit the driver enforces.",
    );
    const energy = gpuCounter(
      families,
      "proofwatch_gpu_energy_joules_total",
      "Energy consumed since the driver was loaded.",
    );
    const pstate = gpuGauge(
      families,
      "proofwatch_gpu_performance_state",
      "Performance state, 0 (fastest) to 15 (slowest).",
    );
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const labels = labelsOf(gpu);
          setIfPresent(draw, labels, values.get("powerUsageMilliwatts"), MILLI);
          setIfPresent(limit, labels, values.get("powerLimitMilliwatts"), MILLI);
          setIfPresent(energy, labels, values.get("totalEnergyMillijoules"), MILLI);
          const state = values.get("performanceState");
          if (state !== PSTATE_UNKNOWN) setIfPresent(pstate, labels, state);
        }
      },
    };
  },
};
