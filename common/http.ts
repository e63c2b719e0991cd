// What every proofwatch HTTP service serves besides its own API: a short index page that
// links the endpoints, a liveness probe, and its metrics; and how the APIs read bodies.
import express, { type Express, type RequestHandler } from "express";
import { parseJson } from "./schema.js";

export interface ServiceBasics {
  /** "exporter", "verifier" … : the page title is "proofwatch <name>". */
  name: string;
  /** One sentence on what the service does. */
  description: string;
  /** Paths of the service's own read-only endpoints worth a link. */
  links?: readonly string[];
  /** Renders the Prometheus exposition. */
  metrics(): Promise<{ contentType: string; body: string | Buffer }>;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c,
  );

export function indexPage(basics: ServiceBasics): string {
  const links = [...(basics.links ?? []), "/metrics", "/healthz"]
    .map((path) => `<li><a href="${escapeHtml(path.slice(1))}">${escapeHtml(path)}</a></li>`)
    .join("");
  const title = `proofwatch ${escapeHtml(basics.name)}`;
  return `<!doctype html>
<html><head><title>${title}</title></head>
<body><h1>${title}</h1>
<p>${escapeHtml(basics.description)}</p>
<ul>${links}</ul>
</body></html>
`;
}

export function serveBasics(app: Express, basics: ServiceBasics): void {
  const page = indexPage(basics);
  app.get("/", (_req, res) => {
    res.type("html").send(page);
  });
  // Liveness only: faults are reported in the metrics, never by failing the probe, or an
  // orchestrator would restart a service exactly when it is needed.
  app.get("/healthz", (_req, res) => {
    res.type("text").send("ok\n");
  });
  app.get("/metrics", async (_req, res, next) => {
    try {
      const { contentType, body } = await basics.metrics();
      res.setHeader("content-type", contentType);
      res.send(body);
    } catch (error) {
      next(error);
    }
  });
}

/** Reads a request body as bytes whatever its content type (clients differ), up to `limit`. */
export function rawBody(limitBytes: number): RequestHandler {
  return express.raw({ type: () => true, limit: limitBytes });
}

/** The JSON in a body `rawBody` read (none reads as empty), or why it is not JSON. */
export function parseJsonBody(
  body: unknown,
): { ok: true; value: unknown } | { ok: false; error: string } {
  const json = parseJson(Buffer.isBuffer(body) ? body.toString("utf8") : "");
  return json.ok ? json : { ok: false, error: `body is ${json.error}` };
}
