import { Counter, Gauge } from "prom-client";
import { labelsOf, readAll, setCounterIfPresent, setIfPresent } from "./read-all.js";
import type { CollectorFactory } from "./types.js";

export const ecc: CollectorFactory = {
  name: "ecc",
  defaultEnabled: true,
  description: "ECC mode and corrected/uncorrected error totals, volatile and aggregate",
  create(registry) {
    const labelNames = ["gpu", "uuid"] as const;
    const enabled = new Gauge({
      name: "proofwatch_gpu_ecc_enabled",
      help: "1 when ECC is on now.",
      labelNames,
      registers: [registry],
    });
    const pending = new Gauge({
      name: "proofwatch_gpu_ecc_pending_enabled",
      help: "1 when ECC will be on after the next reboot.",
      labelNames,
      registers: [registry],
    });
    const errors = new Counter({
      name: "proofwatch_gpu_ecc_errors_total",
      help: "ECC errors by type (corrected|uncorrected) and NVML counter (volatile: since driver load; aggregate: lifetime).",
      labelNames: ["gpu", "uuid", "type", "counter"],
      registers: [registry],
    });
    return {
      collect: (context) =>
        readAll(context, "ecc", ["ecc"], (gpu, values) => {
          const labels = labelsOf(gpu);
          setIfPresent(enabled, labels, values.eccModeCurrent);
          setIfPresent(pending, labels, values.eccModePending);
          const totals = [
            ["corrected", "volatile", values.eccCorrectedVolatile],
            ["corrected", "aggregate", values.eccCorrectedAggregate],
            ["uncorrected", "volatile", values.eccUncorrectedVolatile],
            ["uncorrected", "aggregate", values.eccUncorrectedAggregate],
          ] as const;
          for (const [type, counter, value] of totals) {
            setCounterIfPresent(errors, { ...labels, type, counter }, value);
          }
        }),
    };
  },
};
