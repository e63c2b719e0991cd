import { context } from "@opentelemetry/api";
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from "express";
import { z } from "zod";
import { parseJsonBody, rawBody, serveBasics } from "../../../common/http.js";
import type { Logger } from "../../../common/log.js";
import { describeIssues } from "../../../common/schema.js";
import { extractContext } from "../../../common/tracing.js";
import { toRecord } from "./jobs.js";
import { CONTENT_TYPE, type ProverMetrics } from "./metrics.js";
import { FaultRequest, JobRequest } from "./schema.js";
import type { ProverService } from "./service.js";
import type { Fault } from "./types.js";

const JobsQuery = z.object({
  state: z.enum(["queued", "running", "proved", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(1000),
});

export interface AppOptions {
  bodyLimitBytes: number;
  /** Whether `POST /v1/admin/faults` may change anything. */
  allowFaultInjection: boolean;
  /** The web-security layer's middleware, run before anything else. */
  guard: RequestHandler;
}

export function createApp(
  service: ProverService,
  metrics: ProverMetrics,
  log: Logger,
  options: AppOptions,
): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(options.guard);
  const raw = rawBody(options.bodyLimitBytes);

  serveBasics(app, {
    name: "prover",
    description: "Proves Groth16 jobs on this host's GPUs and sends every proof to the verifier.",
    links: ["/v1/workers", "/v1/jobs"],
    metrics: async () => ({ contentType: CONTENT_TYPE, body: await metrics.render() }),
  });

  app.post("/v1/jobs", raw, async (req, res, next) => {
    const body = parseJsonBody(req.body);
    if (!body.ok) return res.status(400).json({ error: body.error });
    const request = JobRequest.safeParse(body.value);
    if (!request.success) return res.status(400).json({ error: describeIssues(request.error) });
    try {
      // A scheduler that traces its work sends a traceparent: the job's trace continues it.
      const reply = await context.with(extractContext(req.headers), () =>
        service.submit(request.data, "http"),
      );
      res.status(reply.status).json(reply.body);
    } catch (error) {
      next(error);
    }
  });

  app.get("/v1/jobs", (req, res) => {
    const query = JobsQuery.safeParse(req.query);
    if (!query.success) return res.status(400).json({ error: describeIssues(query.error) });
    res.json({ jobs: service.list(query.data.state, query.data.limit) });
  });

  app.get("/v1/jobs/:id", (req, res) => {
    const job = service.jobs.get(req.params.id);
    if (!job) return res.status(404).json({ error: `no job ${req.params.id}` });
    res.json(toRecord(job));
  });

  app.get("/v1/workers", (_req, res) => {
    res.json({
      workers: service.workers.map((worker) => worker.status()),
      queued: service.queue.size,
    });
  });

  app.post("/v1/admin/faults", raw, (req, res) => {
    if (!options.allowFaultInjection) {
      return res
        .status(403)
        .json({ error: "fault injection is off (start with --allow-fault-injection)" });
    }
    const body = parseJsonBody(req.body);
    if (!body.ok) return res.status(400).json({ error: body.error });
    const parsed = FaultRequest.safeParse(body.value);
    if (!parsed.success) return res.status(400).json({ error: describeIssues(parsed.error) });
    const { uuid, fault, stallMs } = parsed.data;
    const value: Fault | null =
      fault === null
        ? null
        : fault === "stall"
          ? { kind: "stall", stallMs: stallMs as number }
          : { kind: fault };
    if (!service.setFault(uuid, value)) return res.status(404).json({ error: `no GPU ${uuid}` });
    res.json({ uuid, fault: value });
  });

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    const type = (error as { type?: string }).type;
    if (type === "entity.too.large") {
      return res.status(413).json({ error: `body larger than ${options.bodyLimitBytes} bytes` });
    }
    if (type === "request.aborted") return;
    log.error("request failed", { error: (error as Error).stack ?? String(error) });
    res.status(500).json({ error: "internal error" });
  };
  app.use(onError);
  return app;
}
