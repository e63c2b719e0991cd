import { Counter, Gauge, type Registry } from "prom-client";
import type { ScrapeFamilies } from "./scrape-families.js";

/**
 * The exporter's report on itself and on each GPU's reachability, rebuilt every scrape
 * with the per-GPU families (scrape-families.ts), for the same reason: no allocation to
 * speak of per scrape.
 */
export function createScrapeHealthMetrics(families: ScrapeFamilies) {
  return {
    nvmlUp: families.add(
      "proofwatch_exporter_nvml_up",
      "1 when NVML loaded, initialised and enumerated the GPUs; 0 means no GPU metrics at all (no or failing driver, or one that has not answered yet).",
      "gauge",
    ),
    gpusDetected: families.add(
      "proofwatch_exporter_gpus_detected",
      "GPUs NVML enumerated on this host when it initialised.",
      "gauge",
    ),
    gpuUp: families.perGpu(
      "proofwatch_gpu_up",
      "0 when NVML reports the GPU lost (fallen off the bus, handle unavailable); 1 otherwise.",
      "gauge",
    ),
    gpuCollectionSuccess: families.perGpu(
      "proofwatch_gpu_collection_success",
      "1 when this GPU's fields were read within the scrape deadline; 0 when lost or late (a hung driver).",
      "gauge",
    ),
    collectorDuration: families.add(
      "proofwatch_exporter_collector_duration_seconds",
      "Time each collector took in this scrape.",
      "gauge",
      ["collector"],
    ),
    collectorSuccess: families.add(
      "proofwatch_exporter_collector_success",
      "1 when the collector turned this scrape's readings into metrics without error.",
      "gauge",
      ["collector"],
    ),
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
    refusals: new Counter({
      name: "proofwatch_exporter_http_requests_refused_total",
      help: "Requests refused by the web-security layer, by reason (unauthenticated, bad_credentials, rate_limited).",
      labelNames: ["reason"],
      registers: [registry],
    }),
  };
}

export type ScrapeHealthMetrics = ReturnType<typeof createScrapeHealthMetrics>;
export type LifetimeMetrics = ReturnType<typeof createLifetimeMetrics>;
