import express, { type Express } from "express";
import type { Registry } from "prom-client";
import { serveBasics } from "../../common/http.js";
import type { Scraper } from "./scrape.js";

export function createApp(scraper: Scraper, registry: Registry): Express {
  const app = express();
  app.disable("x-powered-by");
  // An ETag would hash every 48 KB scrape for a client (Prometheus) that never revalidates.
  app.set("etag", false);
  serveBasics(app, {
    name: "exporter",
    description: "GPU health from NVML, for Prometheus.",
    metrics: async () => ({ contentType: registry.contentType, body: await scraper.scrape() }),
  });
  return app;
}
