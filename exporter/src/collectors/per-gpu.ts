// Shared by the collectors: per-GPU metric families in base units.
import type { GpuFamilies, GpuFamily } from "../gpu-families.js";
import type { GpuIdentity } from "../gpu-source.js";
import type { GpuLabels } from "./types.js";

export function labelsOf(gpu: GpuIdentity): GpuLabels {
  return { gpu: String(gpu.index), uuid: gpu.uuid };
}

/** A gauge with one series per GPU, plus any bounded extra labels. */
export function gpuGauge(
  families: GpuFamilies,
  name: string,
  help: string,
  extraLabels: readonly string[] = [],
): GpuFamily {
  return families.add(name, help, "gauge", extraLabels);
}

/**
 * A counter NVML keeps itself (ECC totals, energy, replays): the driver's running total is
 * exposed as it is each scrape.
 */
export function gpuCounter(
  families: GpuFamilies,
  name: string,
  help: string,
  extraLabels: readonly string[] = [],
): GpuFamily {
  return families.add(name, help, "counter", extraLabels);
}

/** Sets a series when NVML gave a value, scaled into base units; absent otherwise. */
export function setIfPresent(
  family: GpuFamily,
  labels: Record<string, string>,
  raw: number | undefined,
  scale = 1,
): void {
  if (raw !== undefined) family.set(labels, raw * scale);
}
