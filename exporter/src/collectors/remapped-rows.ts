import { gpuGauge, labelsOf, perGpuLabels, setIfPresent } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

export const remappedRows: CollectorFactory = {
  name: "remapped_rows",
  defaultEnabled: true,
  groups: ["remappedRows"],
  description: "HBM rows remapped for ECC errors (Ampere and later), pending remaps and failures",
  create(families) {
    const remapped = gpuGauge(
      families,
      "proofwatch_gpu_remapped_rows",
      "Memory rows remapped, by the kind of error that caused it (correctable|uncorrectable).",
      ["kind"],
    );
    const pending = gpuGauge(
      families,
      "proofwatch_gpu_remapped_rows_pending",
      "1 when a row remap waits for the next GPU reset.",
    );
    const failure = gpuGauge(
      families,
      "proofwatch_gpu_remapped_rows_failure",
      "1 when a row remap failed: the GPU has no spare rows left for that bank.",
    );
    const kindLabels = perGpuLabels(({ gpu, uuid }) => ({
      correctable: { gpu, uuid, kind: "correctable" },
      uncorrectable: { gpu, uuid, kind: "uncorrectable" },
    }));
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const labels = labelsOf(gpu);
          const kind = kindLabels(gpu);
          setIfPresent(remapped, kind.correctable, values.get("remappedRowsCorrectable"));
          setIfPresent(remapped, kind.uncorrectable, values.get("remappedRowsUncorrectable"));
          setIfPresent(pending, labels, values.get("remappedRowsPending"));
          setIfPresent(failure, labels, values.get("remappedRowsFailure"));
        }
      },
    };
  },
};
