import { Counter, Gauge, type Registry } from "prom-client";

/** The exporter's report on itself and on each GPU's reachability, rebuilt every scrape. */
export function createScrapeHealthMetrics(registry: Registry) {
  return {
    nvmlUp: new Gauge({
      name: "proofwatch_exporter_nvml_up",
      help: "1 when the NVML library loaded and initialised; 0 means no GPU metrics at all.",
      registers: [registry],
    }),
    gpusDetected: new Gauge({
      name: "proofwatch_exporter_gpus_detected",
      help: "GPUs NVML reports on this host.",
      registers: [registry],
    }),
    gpuUp: new Gauge({
      name: "proofwatch_gpu_up",
      help: "0 when NVML reports the GPU lost (fallen off the bus, handle unavailable); 1 otherwise.",
      labelNames: ["gpu", "uuid"],
      registers: [registry],
    }),
    gpuCollectionSuccess: new Gauge({
      name: "proofwatch_gpu_collection_success",
      help: "1 when this GPU's fields were read within the scrape deadline; 0 when lost or late (a hung driver).",
      labelNames: ["gpu", "uuid"],
      registers: [registry],
    }),
    collectorDuration: new Gauge({
      name: "proofwatch_exporter_collector_duration_seconds",
      help: "Time each collector took in this scrape.",
      labelNames: ["collector"],
      registers: [registry],
    }),
    collectorSuccess: new Gauge({
      name: "proofwatch_exporter_collector_success",
      help: "1 when the collector turned this scrape's readings into metrics without error.",
      labelNames: ["collector"],
      registers: [registry],
    }),
  };
}

/** Counters that accumulate over the exporter's life. */
export function createLifetimeMetrics(registry: Registry, version: string) {
  new Gauge({
    name: "proofwatch_exporter_build_info",
    help: "The exporter's version; always 1.",
    labelNames: ["version"],
    registers: [registry],
  }).set({ version }, 1);
  return {
    fieldErrors: new Counter({
      name: "proofwatch_exporter_nvml_field_errors_total",
      help: "NVML field reads that failed with an error other than NOT_SUPPORTED, by field and NVML return code name.",
      labelNames: ["field", "code"],
      registers: [registry],
    }),
  };
}

export type ScrapeHealthMetrics = ReturnType<typeof createScrapeHealthMetrics>;
export type LifetimeMetrics = ReturnType<typeof createLifetimeMetrics>;
