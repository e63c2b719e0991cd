import { Registry } from "prom-client";
import { createExpressServer } from "../../common/http.js";
import { closeServer, type ListenAddress, listen, urlOf } from "../../common/listen.js";
import { createLogger } from "../../common/log.js";
import { packageVersion } from "../../common/package-root.js";
import { COLLECTORS, XidCounts } from "./collectors/index.js";
import { GpuSource } from "./gpu-source.js";
import { Scraper } from "./scrape.js";
import { ScrapeFamilies } from "./scrape-families.js";
import { createLifetimeMetrics, createScrapeHealthMetrics } from "./self-metrics.js";
import { createApp } from "./server.js";

export interface ExporterOptions {
  listen: ListenAddress;
  /** Names of the collectors to run (see COLLECTORS). */
  collectors: readonly string[];
  /** Budget for all NVML reads of one scrape, in milliseconds. */
  scrapeDeadlineMs: number;
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
  source.ensureInit();

  const lifetime = createLifetimeMetrics(lifetimeRegistry, packageVersion());
  const scraper = new Scraper(
    source,
    collectors,
    lifetimeRegistry,
    families,
    health,
    lifetime,
    options.scrapeDeadlineMs,
    log,
  );
  const server = createExpressServer(createApp(scraper, lifetimeRegistry));
  const address = await listen(server, options.listen);
  log.info("listening", { url: urlOf(address), collectors: enabled.map((f) => f.name).join(",") });

  return {
    url: urlOf(address),
    address,
    close: async () => {
      await closeServer(server);
      source.close();
    },
  };
}
