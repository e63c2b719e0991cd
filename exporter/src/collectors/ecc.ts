import { gpuCounter, gpuGauge, labelsOf, perGpuLabels, setIfPresent } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

export const ecc: CollectorFactory = {
  name: "ecc",
  defaultEnabled: true,
  groups: ["ecc"],
  description: "ECC mode and corrected/uncorrected error totals, volatile and aggregate",
  create(families) {
    const enabled = gpuGauge(families, "proofwatch_gpu_ecc_enabled", "1 when ECC is on now.");
    const pending = gpuGauge(
      families,
      "proofwatch_gpu_ecc_pending_enabled",
      "1 when ECC will be on after the next reboot.",
    );
    const errors = gpuCounter(
      families,
      "proofwatch_gpu_ecc_errors_total",
      "ECC errors by type (corrected|uncorrected) and NVML counter (volatile: since driver load; aggregate: lifetime).",
      ["type", "counter"],
    );
    const totalLabels = perGpuLabels(({ gpu, uuid }) => ({
      correctedVolatile: { gpu, uuid, type: "corrected", counter: "volatile" },
      correctedAggregate: { gpu, uuid, type: "corrected", counter: "aggregate" },
      uncorrectedVolatile: { gpu, uuid, type: "uncorrected", counter: "volatile" },
      uncorrectedAggregate: { gpu, uuid, type: "uncorrected", counter: "aggregate" },
    }));
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const labels = labelsOf(gpu);
          setIfPresent(enabled, labels, values.get("eccModeCurrent"));
          setIfPresent(pending, labels, values.get("eccModePending"));
          const totals = totalLabels(gpu);
          setIfPresent(errors, totals.correctedVolatile, values.get("eccCorrectedVolatile"));
          setIfPresent(errors, totals.correctedAggregate, values.get("eccCorrectedAggregate"));
          setIfPresent(errors, totals.uncorrectedVolatile, values.get("eccUncorrectedVolatile"));
          setIfPresent(errors, totals.uncorrectedAggregate, values.get("eccUncorrectedAggregate"));
        }
      },
    };
  },
};
