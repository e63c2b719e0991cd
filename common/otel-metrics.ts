// A service's own OpenTelemetry metrics, served on its own /metrics (no second port).
//
// Each service owns its MeterProvider (the SDK that @opentelemetry/sdk-node wraps) instead of
// calling NodeSDK.start(): that registers process-global providers, so two services in one
// process (the tests) would share instruments, and unless told otherwise it also starts OTLP
// trace and log exporters from OTEL_* variables, which a metrics endpoint does not need.
//
// Names: the exporter (0.223) appends `_total` to monotonic sums that lack it and adds no unit
// suffix, so instruments carry their final Prometheus names; they set no `unit`, whose
// `# UNIT` line would not match the name as OpenMetrics wants (see docs/metrics.md).
import type { Meter } from "@opentelemetry/api";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { packageVersion } from "./package-root.js";

/** Version 0.0.4 of the text format: what the serializer writes and Prometheus 2 expects. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface ServiceMeter {
  meter: Meter;
  /** The Prometheus text exposition of every instrument, read now. */
  render(): Promise<string>;
  shutdown(): Promise<void>;
}

export function createServiceMeter(name: string): ServiceMeter {
  const reader = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    withoutTargetInfo: true,
  });
  // Same settings as the reader above; the exporter's own serializer is private.
  const serializer = new PrometheusSerializer("", false, undefined, true, true);
  const provider = new MeterProvider({ readers: [reader] });
  return {
    meter: provider.getMeter(name, packageVersion()),
    async render() {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics);
    },
    shutdown: () => provider.shutdown(),
  };
}
