// Shared by the collectors: per-GPU metric families in base units.
//
// Collectors write each series' labels as an object literal, never as a spread of
// labelsOf(gpu): measured on Node 20, the spread copies made every scrape were promoted
// out of V8's young generation and brought mark-compact pauses into the scrape's tail
// (bench/RESULTS.md).

import type { GpuIdentity } from "../gpu-source.js";
import type { ScrapeFamilies, ScrapeFamily } from "../scrape-families.js";
import type { GpuLabels } from "./types.js";

export function labelsOf(gpu: GpuIdentity): GpuLabels {
  return { gpu: String(gpu.index), uuid: gpu.uuid };
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
