// Shared by the collectors: per-GPU metrics, and reading field groups from every GPU in
// parallel, turning per-field NVML codes into "no value" or a counted error, so that one
// GPU's failure never stops the others.
import { Counter, Gauge, type Registry } from "prom-client";
import {
  NVML_ERROR_FUNCTION_NOT_FOUND,
  NVML_ERROR_GPU_IS_LOST,
  NVML_ERROR_NOT_SUPPORTED,
} from "../../../native/index.js";
import type { DeviceValues, FieldGroup } from "../../../native/types.js";
import type { GpuIdentity } from "../gpu-source.js";
import type { GpuLabels, ScrapeContext } from "./types.js";

/** Codes that mean "this GPU or driver has no such value": the series is simply absent. */
const NO_VALUE_CODES = new Set([NVML_ERROR_NOT_SUPPORTED, NVML_ERROR_FUNCTION_NOT_FOUND]);

export function labelsOf(gpu: GpuIdentity): GpuLabels {
  return { gpu: String(gpu.index), uuid: gpu.uuid };
}

/**
 * Calls `use` with each GPU's values, then throws if any GPU could not be read, so that
 * the collector reports failure while the GPUs that answered keep their series.
 */
export async function readAll(
  context: ScrapeContext,
  collector: string,
  groups: readonly FieldGroup[],
  use: (gpu: GpuIdentity, values: DeviceValues) => void,
): Promise<void> {
  const results = await Promise.allSettled(
    context.gpus.map(async (gpu) => {
      const reading = await context.read(gpu, groups);
      for (const code of Object.values(reading.errors)) {
        if (code === NVML_ERROR_GPU_IS_LOST)
          throw new Error(`GPU ${gpu.index} was lost during the scrape`);
        if (code !== undefined && !NO_VALUE_CODES.has(code))
          context.countFieldError(collector, code);
      }
      use(gpu, reading.values);
    }),
  );
  const failures: string[] = [];
  results.forEach((result, position) => {
    if (result.status === "fulfilled") return;
    const gpu = context.gpus[position] as GpuIdentity;
    const reason = (result.reason as Error).message;
    context.markFailed(gpu, `${collector}: ${reason}`);
    failures.push(reason);
  });
  if (failures.length > 0) throw new Error(failures.join("; "));
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
