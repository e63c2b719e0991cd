import { gpuCounter, gpuGauge, labelsOf, setIfPresent } from "./per-gpu.js";
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
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const labels = labelsOf(gpu);
          setIfPresent(enabled, labels, values.get("eccModeCurrent"));
          setIfPresent(pending, labels, values.get("eccModePending"));
          const totals = [
            ["corrected", "volatile", values.get("eccCorrectedVolatile")],
            ["corrected", "aggregate", values.get("eccCorrectedAggregate")],
            ["uncorrected", "volatile", values.get("eccUncorrectedVolatile")],
            ["uncorrected", "aggregate", values.get("eccUncorrectedAggregate")],
          ] as const;
          for (const [type, counter, value] of totals) {
            setIfPresent(errors, { gpu: labels.gpu, uuid: labels.uuid, type, counter }, value);
          }
        }
      },
    };
  },
};
