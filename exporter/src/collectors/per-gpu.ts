// Shared by the collectors: per-GPU metrics in base units.
import { Counter, Gauge, type Registry } from "prom-client";
import type { GpuIdentity } from "../gpu-source.js";
import type { GpuLabels } from "./types.js";

export function labelsOf(gpu: GpuIdentity): GpuLabels {
  return { gpu: String(gpu.index), uuid: gpu.uuid };
}

/** A metric with one series per GPU: labelled `gpu` and `uuid`, plus any bounded extra labels. */
export function gpuGauge(
  registry: Registry,
  name: string,
  help: string,
  extraLabels: readonly string[] = [],
): Gauge<string> {
  return new Gauge({
    name,
    help,
    labelNames: ["gpu", "uuid", ...extraLabels],
    registers: [registry],
  });
}

/** As gpuGauge, for the running totals NVML keeps (see setCounterIfPresent). */
export function gpuCounter(
  registry: Registry,
  name: string,
  help: string,
  extraLabels: readonly string[] = [],
): Counter<string> {
  return new Counter({
    name,
    help,
    labelNames: ["gpu", "uuid", ...extraLabels],
    registers: [registry],
  });
}

/** Sets a gauge when NVML gave a value, scaled into base units. */
export function setIfPresent(
  gauge: Gauge<string>,
  labels: Record<string, string>,
  raw: number | undefined,
  scale = 1,
): void {
  if (raw !== undefined) gauge.set(labels, raw * scale);
}

/**
 * Exposes a counter that NVML keeps (ECC totals, energy, replays): metrics are reset
 * before each scrape, so adding the driver's running total restores it exactly.
 */
export function setCounterIfPresent(
  counter: Counter<string>,
  labels: Record<string, string>,
  raw: number | undefined,
  scale = 1,
): void {
  if (raw !== undefined) counter.inc(labels, raw * scale);
}
