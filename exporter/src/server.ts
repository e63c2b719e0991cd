import express, { type Express } from "express";
import type { Registry } from "prom-client";
import type { Scraper } from "./scrape.js";

const INDEX_PAGE = `<!doctype html>
<html><head><title>proofwatch exporter</title></head>
<body><h1>proofwatch exporter</h1>
<p>GPU health from NVML, for Prometheus.</p>
<ul><li><a href="metrics">/metrics</a></li><li><a href="healthz">/healthz</a></li></ul>
</body></html>
`;

export function createApp(scraper: Scraper, registry: Registry): Express {
  const app = express();
  app.disable("x-powered-by");
  app.get("/", (_req, res) => {
    res.type("html").send(INDEX_PAGE);
  });
  // Liveness only: a GPU fault is reported in the metrics, never by failing the probe,
  // or an orchestrator would restart the exporter exactly when it is needed.
  app.get("/healthz", (_req, res) => {
    res.type("text").send("ok\n");
  });
  app.get("/metrics", async (_req, res, next) => {
    try {
      const body = await scraper.scrape();
      res.type(registry.contentType).send(body);
    } catch (error) {
      next(error);
    }
  });
  return app;
}
