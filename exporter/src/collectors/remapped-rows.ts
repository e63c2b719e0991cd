import { Gauge } from "prom-client";
import { labelsOf, readAll, setIfPresent } from "./read-all.js";
import type { CollectorFactory } from "./types.js";

export const remappedRows: CollectorFactory = {
  name: "remapped_rows",
  defaultEnabled: true,
  description: "HBM rows remapped for ECC errors (Ampere and later), pending remaps and failures",
  create(registry) {
    const labelNames = ["gpu", "uuid"] as const;
    const remapped = new Gauge({
      name: "proofwatch_gpu_remapped_rows",
      help: "Memory rows remapped, by the kind of error that caused it (correctable|uncorrectable).",
      labelNames: ["gpu", "uuid", "kind"],
      registers: [registry],
    });
    const pending = new Gauge({
      name: "proofwatch_gpu_remapped_rows_pending",
      help: "1 when a row remap waits for the next GPU reset.",
      labelNames,
      registers: [registry],
    });
    const failure = new Gauge({
      name: "proofwatch_gpu_remapped_rows_failure",
      help: "1 when a row remap failed: the GPU has no spare rows left for that bank.",
      labelNames,
      registers: [registry],
    });
    return {
      collect: (context) =>
        readAll(context, "remapped_rows", ["remappedRows"], (gpu, values) => {
          const labels = labelsOf(gpu);
          const kind = (name: string) => ({ ...labels, kind: name });
          setIfPresent(remapped, kind("correctable"), values.remappedRowsCorrectable);
          setIfPresent(remapped, kind("uncorrectable"), values.remappedRowsUncorrectable);
          setIfPresent(pending, labels, values.remappedRowsPending);
          setIfPresent(failure, labels, values.remappedRowsFailure);
        }),
    };
  },
};
