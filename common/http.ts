// What every proofwatch HTTP service serves besides its own API: a short index page that
// links the endpoints, a liveness probe, and its metrics; how the APIs read bodies; and a
// node:http server suited to an express app.
import { createServer, IncomingMessage, type Server, ServerResponse } from "node:http";
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

/**
 * A node:http server for `app` whose requests and responses are born with express's
 * prototypes. Express re-parents every request and response (`Object.setPrototypeOf` in
 * app.handle), and on V8 that kept each request's objects alive through young-generation
 * collections: the exporter promoted ~100 KiB per scavenge, and the mark-compacts that
 * followed landed in its scrape p99 (bench/RESULTS.md). With the prototype already in
 * place express's call changes nothing, and the objects die young.
 */
export function createExpressServer(app: Express): Server {
  return createServer(expressServerOptions(app), app);
}

/** The server options behind `createExpressServer`, for an HTTPS server too. */
export function expressServerOptions(app: Express) {
  return {
    IncomingMessage: bornWith(IncomingMessage, app.request),
    ServerResponse: bornWith(ServerResponse, app.response),
  };
}

/** A constructor that runs `base` but gives its instances `prototype` (which extends base's). */
function bornWith<C>(base: C, prototype: object): C {
  const construct = base as unknown as new (...args: unknown[]) => object;
  function Born(...args: unknown[]): object {
    return Reflect.construct(construct, args, Born);
  }
  Born.prototype = prototype;
  return Born as unknown as C;
}
