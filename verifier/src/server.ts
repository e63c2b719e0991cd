import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import { parseJsonBody, rawBody, serveBasics } from "../../common/http.js";
import type { Logger } from "../../common/log.js";
import { describeIssues } from "../../common/schema.js";
import { answerStoreUnavailable } from "../../common/store-unavailable.js";
import { identityOf } from "../../common/web/identity.js";
import { ReceivedProofSubmission } from "../../contracts/index.js";
import { authorizeRequest, type ProverRule, submitterOf } from "./attribution.js";
import { CONTENT_TYPE, type RejectReason, type VerifierMetrics } from "./metrics.js";
import { parseTime, VerdictsQuery } from "./schema.js";
import type { VerifierService } from "./service.js";

export interface AppOptions {
  bodyLimitBytes: number;
  /** The web-security layer's middleware, run before anything else. */
  guard: RequestHandler;
  /** The --provers rules now in force; null without --provers (attribution.ts). */
  provers(): readonly ProverRule[] | null;
}

export function createApp(
  service: VerifierService,
  metrics: VerifierMetrics,
  log: Logger,
  options: AppOptions,
): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(options.guard);
  const raw = rawBody(options.bodyLimitBytes);

  const reject = (res: Response, status: number, reason: RejectReason, error: string) => {
    metrics.rejected.inc({ reason });
    res.status(status).json({ error });
  };

  serveBasics(app, {
    name: "verifier",
    description:
      "Re-checks Groth16 proofs before they reach a chain, and says which GPU made each bad one.",
    links: ["/v1/gpus", "/v1/verdicts?result=invalid", "/v1/circuits"],
    metrics: async () => ({ contentType: CONTENT_TYPE, body: await metrics.render() }),
  });

  // Under the request's span, which continues the prover's trace: the lines it logs carry the
  // trace id, and the proof's later spans (queue, check, verdict) go under it (tracing.ts).
  app.post("/v1/proofs", raw, (req, res) => {
    const span = service.traces.request(req.headers);
    if (!span) return submitProof(req, res);
    try {
      context.with(trace.setSpan(context.active(), span), () => submitProof(req, res));
      span.setAttribute("http.response.status_code", res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } catch (error) {
      // Answered by onError below (a store that is busy or gone).
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });

  const submitProof = (req: Request, res: Response) => {
    const json = parseJsonBody(req.body);
    if (!json.ok) return reject(res, 400, "bad_request", json.error);
    const body = ReceivedProofSubmission.safeParse(json.value);
    if (!body.success) return reject(res, 400, "bad_request", describeIssues(body.error));
    const { proof, publicSignals, ...meta } = body.data;
    // The GPU and host in the body are a claim: checked against what the caller's identity may
    // speak for before anything touches that GPU's record.
    const identity = identityOf(res.locals);
    const claim = { host: meta.gpu.host, uuid: meta.gpu.uuid };
    const allowed = authorizeRequest(
      identity,
      claim,
      options.provers(),
      service.store.gpuHost(claim.uuid),
    );
    if (!allowed.ok) {
      metrics.forbidden.inc({ reason: allowed.reason, source: "http" });
      log.warn("submission forbidden", {
        reason: allowed.reason,
        identity: identity ? submitterOf(identity) : "none",
        host: claim.host,
        uuid: claim.uuid,
        jobId: meta.jobId,
        remote: req.socket.remoteAddress ?? "",
        why: allowed.message,
      });
      return reject(res, 403, "forbidden", allowed.message);
    }
    const reply = service.submit({
      meta,
      proof,
      publicSignals,
      source: "http",
      // authorizeRequest refuses a request without one.
      submittedBy: submitterOf(identity as NonNullable<typeof identity>),
      trace: context.active(),
    });
    if ("reject" in reply) {
      if (reply.retryAfterS !== undefined) res.setHeader("retry-after", String(reply.retryAfterS));
      return reject(res, reply.status, reply.reject, reply.body.error);
    }
    res.status(reply.status).json(reply.body);
  };

  app.get("/v1/proofs/:id", (req, res) => {
    const id = Number(req.params.id);
    const record = Number.isSafeInteger(id) ? service.store.verdict(id) : undefined;
    if (!record) return res.status(404).json({ error: `no submission ${req.params.id}` });
    res.json(record);
  });

  app.get("/v1/verdicts", (req, res) => {
    const query = VerdictsQuery.safeParse(req.query);
    if (!query.success) return res.status(400).json({ error: describeIssues(query.error) });
    const q = query.data;
    const verdicts = service.store.verdicts({
      gpu: q.gpu,
      circuit: q.circuit,
      result: q.result,
      status: q.status,
      replay: q.replay === undefined ? undefined : q.replay === "1" || q.replay === "true",
      sinceMs: q.since === undefined ? undefined : parseTime(q.since),
      afterId: q.after,
      limit: q.limit,
      // Whole proofs only on request, or for invalid ones, which is what forensics asks for.
      full: q.full === "1" || q.full === "true" || (q.full === undefined && q.result === "invalid"),
    });
    const last = verdicts.at(-1);
    res.json({ verdicts, ...(verdicts.length === q.limit && last ? { next: last.id } : {}) });
  });

  app.get("/v1/gpus", (_req, res) => {
    res.json({
      recoverAfter: service.sampler.recoverAfter,
      baseRate: service.sampler.baseRate,
      gpus: service.store.gpus((probation) => service.sampler.gpuRate(probation)),
    });
  });

  app.get("/v1/circuits", (_req, res) => {
    res.json({
      circuits: service.registry.status().map((c) => ({
        ...c,
        effectiveSampleRate: service.sampler.rate(c.id),
      })),
    });
  });

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    const type = (error as { type?: string }).type;
    if (type === "entity.too.large") {
      return reject(res, 413, "too_large", `body larger than ${options.bodyLimitBytes} bytes`);
    }
    if (type === "encoding.unsupported" || type === "charset.unsupported") {
      return reject(res, 400, "bad_request", (error as Error).message);
    }
    if (type === "request.aborted") return;
    const unavailable = (r: Response) => reject(r, 503, "unavailable", "store unavailable");
    if (answerStoreUnavailable(error, res, log, unavailable)) return;
    log.error("request failed", { error: (error as Error).stack ?? String(error) });
    res.status(500).json({ error: "internal error" });
  };
  app.use(onError);
  return app;
}
