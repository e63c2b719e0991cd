// Shared by the collectors: per-GPU metric families in base units.
//
// Label objects are built once per GPU identity and kept (GpuSource keeps a GpuIdentity
// while the GPU in that slot stays the same), not on every scrape: built per scrape, they
// were a quarter of a scrape's garbage, and the spread copies among them were promoted out
// of V8's young generation into mark-compact pauses in the scrape's tail (bench/RESULTS.md).

import type { GpuIdentity } from "../gpu-source.js";
import type { ScrapeFamilies, ScrapeFamily } from "../scrape-families.js";
import type { GpuLabels } from "./types.js";

const gpuLabels = new WeakMap<GpuIdentity, GpuLabels>();

export function labelsOf(gpu: GpuIdentity): GpuLabels {
  let labels = gpuLabels.get(gpu);
  if (labels === undefined) {
    labels = { gpu: String(gpu.index), uuid: gpu.uuid };
    gpuLabels.set(gpu, labels);
  }
  return labels;
}

/** A collector's label sets for series with extra labels, built once per GPU identity. */
export function perGpuLabels<T>(build: (labels: GpuLabels) => T): (gpu: GpuIdentity) => T {
  const cache = new WeakMap<GpuIdentity, T>();
  return (gpu) => {
    let sets = cache.get(gpu);
    if (sets === undefined) {
      sets = build(labelsOf(gpu));
      cache.set(gpu, sets);
    }
    return sets;
  };
}

/** A gauge with one series per GPU, plus any bounded extra labels. */
export function gpuGauge(
  families: ScrapeFamilies,
  name: string,
  help: string,
  extraLabels: readonly string[] = [],
): ScrapeFamily {
  return families.perGpu(name, help, "gauge", extraLabels);
}

/**
 * A counter NVML keeps itself (ECC totals, energy, replays): the driver's running total is
 * exposed as it is each scrape.
 */
export function gpuCounter(
  families: ScrapeFamilies,
  name: string,
  help: string,
  extraLabels: readonly string[] = [],
): ScrapeFamily {
  return families.perGpu(name, help, "counter", extraLabels);
}

/** Sets a series when NVML gave a value, scaled into base units; absent otherwise. */
export function setIfPresent(
  family: ScrapeFamily,
  labels: Record<string, string>,
  raw: number | undefined,
  scale = 1,
): void {
  if (raw !== undefined) family.set(labels, raw * scale);
}
