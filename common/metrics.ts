// A service's own Prometheus metrics, served on its own /metrics (no second port), with what
// every proofwatch service reports about itself: the `process_*` metrics and
// `proofwatch_build_info` (docs/metrics.md, "Every service").
//
// Each service owns its Registry rather than prom-client's global one, so that two services in
// one process (the tests) keep their metrics apart.
import { collectDefaultMetrics, Gauge, type Metric, Registry } from "prom-client";
import { packageVersion } from "./package-root.js";

/** Version 0.0.4 of the text format: what Prometheus 2 expects. */
export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export type Component = "verifier" | "quarantine" | "prover";

/** A registry holding the process metrics and `proofwatch_build_info`; add the service's own. */
export function createServiceRegistry(component: Component): Registry {
  const registry = new Registry();
  for (const metric of processMetrics()) registry.registerMetric(metric);
  new Gauge({
    name: "proofwatch_build_info",
    help: "The service's version, component and Node.js version; always 1.",
    labelNames: ["version", "component", "nodejs_version"],
    registers: [registry],
  }).set({ version: packageVersion(), component, nodejs_version: process.versions.node }, 1);
  return registry;
}

let shared: Metric[] | undefined;

/**
 * prom-client's process collector (CPU seconds, start time, memory, file descriptors: the set
 * client_golang's process collector serves), made once per process and registered in every
 * service's registry: the values are the process's, whichever service serves them.
 *
 * Only `process_*`: prom-client's `nodejs_*` defaults include gauges named `…_total`
 * (`nodejs_active_handles_total`), which `promtool check metrics` refuses and the house style
 * keeps for counters. prom-client offers no public way to make just these, so the defaults go
 * to a registry nobody serves; the event-loop monitor and GC observer that come with them run
 * once per process.
 */
function processMetrics(): Metric[] {
  if (!shared) {
    const scratch = new Registry();
    collectDefaultMetrics({ register: scratch });
    shared = scratch
      .getMetricsAsArray()
      .filter(({ name }) => name.startsWith("process_"))
      .flatMap(({ name }) => scratch.getSingleMetric(name) ?? []);
  }
  return shared;
}

/**
 * A gauge without labels whose value is read at scrape time. A read of null (nothing to say
 * yet, a feature off) serves no sample: a plain unlabelled gauge would serve 0, which reads as
 * "long ago" to a staleness alert. A read that throws serves no sample either, and the rest of
 * the scrape goes on, as with OpenTelemetry's observable gauges these replace (a throwing
 * prom-client `collect` fails the whole scrape: its registry collects with Promise.all).
 */
export function readGauge(
  registry: Registry,
  name: string,
  help: string,
  read: () => number | null,
): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      let value: number | null = null;
      try {
        value = read();
      } catch {
        // served as no sample, below
      }
      if (value === null) this.remove();
      else this.set(value);
    },
  });
}

/**
 * A labelled gauge filled from nothing at each scrape, so that the series of a subject that
 * went away go with it. A fill that throws leaves it without series for that scrape, and the
 * rest of the scrape goes on (as `readGauge`).
 */
export function fillGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  fill: (set: (labels: Record<L, string>, value: number) => void) => void,
): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      try {
        fill((labels, value) => this.set(labels, value));
      } catch {
        // no series this scrape, rather than half of them
        this.reset();
      }
    },
  });
}
