import express, { type Express, type RequestHandler } from "express";
import type { Registry } from "prom-client";
import { serveBasics } from "../../common/http.js";
import type { Scraper } from "./scrape.js";

/** `guard` is the web-security layer's middleware, run before anything else. */
export function createApp(scraper: Scraper, registry: Registry, guard: RequestHandler): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(guard);
  // An ETag would hash every 48 KB scrape for a client (Prometheus) that never revalidates.
  app.set("etag", false);
  serveBasics(app, {
    name: "exporter",
    description: "GPU health from NVML, for Prometheus.",
    metrics: async () => ({ contentType: registry.contentType, body: await scraper.scrape() }),
  });
  return app;
}
