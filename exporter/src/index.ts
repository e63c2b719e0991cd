import { Registry } from "prom-client";
import {
  closeServer,
  formatAddress,
  type ListenAddress,
  listen,
  urlOf,
} from "../../common/listen.js";
import { createLogger } from "../../common/log.js";
import { packageVersion } from "../../common/package-root.js";
import { type WebFlags, WebSecurity } from "../../common/web/index.js";
import { COLLECTORS } from "./collectors/index.js";
import { GpuSource } from "./gpu-source.js";
import type { PodResourcesOptions } from "./pod-resources/index.js";
import { Scraper } from "./scrape.js";
import { ScrapeFamilies } from "./scrape-families.js";
import { createLifetimeMetrics, createScrapeHealthMetrics } from "./self-metrics.js";
import { createApp } from "./server.js";
import { XidCounts } from "./xid-counts.js";

export interface ExporterOptions {
  listen: ListenAddress;
  /** Names of the collectors to run (see COLLECTORS). */
  collectors: readonly string[];
  /** Budget for all NVML reads of one scrape, in milliseconds. */
  scrapeDeadlineMs: number;
  web: WebFlags;
  /** Pod attribution from the kubelet's pod-resources API; off when absent. */
  podResources?: PodResourcesOptions;
}

export interface RunningExporter {
  url: string;
  address: ListenAddress;
  close(): Promise<void>;
}

export { COLLECTORS } from "./collectors/index.js";

export async function startExporter(options: ExporterOptions): Promise<RunningExporter> {
  const log = createLogger("exporter");
  const lifetimeRegistry = new Registry();

  const shared = { xidCounts: new XidCounts() };
  const families = new ScrapeFamilies();
  // Created first so that the scrape's report on itself leads the exposition.
  const health = createScrapeHealthMetrics(families);
  const enabled = COLLECTORS.filter((factory) => options.collectors.includes(factory.name));
  const collectors = enabled.map((factory) => ({
    name: factory.name,
    groups: factory.groups,
    collector: factory.create(families, shared),
  }));
  const xidEnabled = enabled.some((factory) => factory.name === "xid");
  const source = new GpuSource(log, (event) => {
    if (xidEnabled) shared.xidCounts.record(event);
    log.warn("XID event", { gpu: event.index, uuid: event.uuid, xid: event.xid });
  });
  // Not awaited: a hung driver must not hold up start-up (the first scrapes wait for it).
  source.start();

  const lifetime = createLifetimeMetrics(lifetimeRegistry, packageVersion());
  // Loaded only when on: gRPC and its proto loader add about 12 MiB to the exporter's memory.
  const podResources =
    options.podResources &&
    (await import("./pod-resources/index.js")).startPodResources(options.podResources, {
      registry: lifetimeRegistry,
      families,
      uuidOfIndex: (index) => source.uuidOf(index),
      log,
    });
  const scraper = new Scraper(
    source,
    collectors,
    lifetimeRegistry,
    families,
    health,
    lifetime,
    options.scrapeDeadlineMs,
    log,
    podResources ? [podResources] : [],
  );
  const security = new WebSecurity({
    service: "exporter",
    ...options.web,
    servesWrites: false,
    log,
    onRefused: (reason) => lifetime.refusals.inc({ reason }),
  });
  const server = security.createServer(createApp(scraper, lifetimeRegistry, security.middleware));
  const address = await listen(server, options.listen);
  const url = urlOf(address, security.scheme);
  log.info("listening", {
    address: formatAddress(address),
    url,
    collectors: enabled.map((f) => f.name).join(","),
    pod_resources: options.podResources?.socket ?? "off",
  });

  return {
    url,
    address,
    close: async () => {
      security.close();
      await closeServer(server);
      podResources?.close();
      source.close();
    },
  };
}
