import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import type { Registry } from "prom-client";
import { z } from "zod";
import { rawBody, serveBasics } from "../../common/http.js";
import type { Logger } from "../../common/log.js";
import { answerStoreUnavailable } from "../../common/store-unavailable.js";
import type { WebSecurity } from "../../common/web/index.js";
import type { RequestResult } from "./metrics.js";
import type { QuarantineService, Reply } from "./service.js";

const ReasonBody = z.object({ reason: z.string().trim().min(3).max(500) }).strict();

const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  after: z.coerce.number().int().min(0).default(0),
});

export interface AppOptions {
  bodyLimitBytes: number;
}

export function createApp(
  service: QuarantineService,
  security: Pick<WebSecurity, "middleware" | "requireIdentity">,
  registry: Registry,
  log: Logger,
  options: AppOptions,
): Express {
  const app = express();
  app.disable("x-powered-by");

  const send = (res: Response, reply: Reply) => {
    service.count(reply.result);
    res.status(reply.status).json(reply.body);
  };
  const fail = (res: Response, status: number, result: RequestResult, error: string) =>
    send(res, { status, result, body: { status: "error", error } });

  // Credentials are checked before any body is read (security.middleware refuses a write
  // without them); the status and the audit log are reads that always need them.
  app.use(security.middleware);
  const requireAuth = security.requireIdentity;
  const raw = rawBody(options.bodyLimitBytes);
  const jsonBody = express.json({ type: () => true, limit: "16kb" });

  serveBasics(app, {
    name: "quarantine",
    description: "Takes degrading GPUs out of service when Alertmanager says so.",
    links: ["/v1/quarantine"],
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  });

  app.post("/v1/alertmanager", requireAuth, raw, async (req, res, next) => {
    try {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      send(res, await service.alertmanager(body));
    } catch (error) {
      next(error);
    }
  });

  // Read-only fleet state, as the `file` action writes it; public like /metrics, which
  // carries the same set.
  app.get("/v1/quarantine", (_req, res) => {
    res.json(service.store.fleet());
  });

  app.get("/v1/status", requireAuth, (_req, res) => {
    res.json(service.status());
  });

  app.get("/v1/audit", requireAuth, (req, res) => {
    const query = AuditQuery.safeParse(req.query);
    if (!query.success) return fail(res, 400, "bad_request", z.prettifyError(query.error));
    res.json({
      entries: service.store.auditLog({ limit: query.data.limit, afterId: query.data.after }),
    });
  });

  // A person's action: a {"reason"} body, then one service call.
  const withReason =
    (act: (req: Request, reason: string) => Reply | Promise<Reply>): RequestHandler =>
    async (req, res, next) => {
      const body = ReasonBody.safeParse(req.body);
      if (!body.success) return fail(res, 400, "bad_request", 'body must be {"reason": "..."}');
      try {
        send(res, await act(req, body.data.reason));
      } catch (error) {
        next(error);
      }
    };

  app.post(
    "/v1/quarantine/:uuid/release",
    requireAuth,
    jsonBody,
    withReason((req, reason) => service.release(String(req.params.uuid), reason, "api")),
  );
  app.post(
    "/v1/nodes/:host/release",
    requireAuth,
    jsonBody,
    withReason((req, reason) => service.releaseNode(String(req.params.host), reason, "api")),
  );
  app.post(
    "/v1/breaker/reset",
    requireAuth,
    jsonBody,
    withReason((_req, reason) => service.resetBreaker(reason, "api")),
  );

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    const type = (error as { type?: string }).type;
    if (type === "entity.too.large") {
      return fail(res, 413, "too_large", `body larger than ${options.bodyLimitBytes} bytes`);
    }
    if (type === "entity.parse.failed" || type === "encoding.unsupported") {
      return fail(res, 400, "bad_request", "body is not valid JSON");
    }
    const unavailable = (r: Response) => fail(r, 503, "unavailable", "store unavailable");
    if (answerStoreUnavailable(error, res, log, unavailable)) return;
    log.error("request failed", { error: (error as Error).stack ?? String(error) });
    fail(res, 500, "error", "internal error");
  };
  app.use(onError);
  return app;
}
