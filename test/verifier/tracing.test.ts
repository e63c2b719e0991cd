// The verifier's spans of a proof (verifier/src/tracing.ts) through what a batch does to them:
// three jobs' proofs checked in one batch each keep queue, check and verdict spans in their own
// trace, the checks linked to one another; a failed batch ends its check spans with the error
// and the retry gets a new one; the oldest proofs' open spans are ended past the limit. Spans
// go to the SDK's in-memory exporter.
import { type Context, context, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { enableContext, extractContext, type Tracing } from "../../common/tracing.js";
import { ProofTraces } from "../../verifier/src/tracing.js";

enableContext();

function inMemory() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("test");
  const tracing: Tracing = {
    tracer,
    endpoint: null,
    headers: () => ({}),
    extract: extractContext,
    shutdown: () => provider.shutdown(),
  };
  return { tracing, tracer, spans: () => exporter.getFinishedSpans() };
}

/** A prover's delivery span and the verifier's request under it, as server.ts starts it. */
function submission(traces: ProofTraces, tracer: ReturnType<typeof inMemory>["tracer"]) {
  const delivery = tracer.startSpan("prover.verifier_submit");
  const { traceId, spanId } = delivery.spanContext();
  const request = traces.request({ traceparent: `00-${traceId}-${spanId}-01` });
  if (!request) throw new Error("no request span");
  const parent: Context = trace.setSpan(context.active(), request);
  request.end();
  delivery.end();
  return { traceId, request, parent };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("a proof's spans in the verifier", () => {
  const made: Array<{ tracing: Tracing }> = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map(({ tracing }) => tracing.shutdown()));
  });

  it("gives each job of a batch its queue, check and verdict spans, the checks linked", () => {
    const memory = inMemory();
    made.push(memory);
    const traces = new ProofTraces(memory.tracing);
    const jobs = [1, 2, 3].map((id) => ({ id, ...submission(traces, memory.tracer) }));
    for (const job of jobs) traces.queued(job.id, job.parent);
    traces.checking(
      jobs.map((job) => job.id),
      "multiplier",
    );
    const verdicts = traces.verdicts(jobs.map((job) => job.id));
    const logged: Array<string | undefined> = [];
    for (const job of jobs) {
      verdicts.within(job.id, () =>
        logged.push(trace.getSpan(context.active())?.spanContext().traceId),
      );
    }
    verdicts.end(
      new Map([
        [1, "valid"],
        [2, "invalid"],
        [3, "valid"],
      ]),
    );

    const spans = memory.spans();
    for (const [i, job] of jobs.entries()) {
      const mine = spans.filter((span) => span.spanContext().traceId === job.traceId);
      const named = (name: string) => mine.filter((span) => span.name === name);
      const [request] = named("verifier.submit");
      expect(request).toBeDefined();
      for (const name of ["verifier.queue", "verifier.batch_check", "verifier.verdict"]) {
        expect(named(name), name).toHaveLength(1);
        expect(parentOf(named(name)[0] as ReadableSpan)).toBe(request?.spanContext().spanId);
      }
      const check = named("verifier.batch_check")[0] as ReadableSpan;
      expect(check.attributes).toMatchObject({
        "proof.id": job.id,
        circuit: "multiplier",
        "verifier.batch.size": 3,
      });
      // Linked to the other two proofs' requests, in their own traces.
      expect(check.links.map((link) => link.context.traceId).sort()).toEqual(
        jobs
          .filter((other) => other !== job)
          .map((other) => other.traceId)
          .sort(),
      );
      expect(named("verifier.verdict")[0]?.attributes).toMatchObject({
        "verifier.verdict": i === 1 ? "invalid" : "valid",
      });
      // What is logged for the verdict is in the job's trace.
      expect(logged[i]).toBe(job.traceId);
    }
  });

  it("ends a failed batch's checks with the error and checks the proof again later", () => {
    const memory = inMemory();
    made.push(memory);
    const traces = new ProofTraces(memory.tracing);
    const job = submission(traces, memory.tracer);
    traces.queued(7, job.parent);
    traces.checking([7], "multiplier");
    traces.failed([7], new Error("worker exited"));
    traces.checking([7], "multiplier");
    traces.verdicts([7]).end(new Map([[7, "valid"]]));

    const checks = memory.spans().filter((span) => span.name === "verifier.batch_check");
    expect(checks).toHaveLength(2);
    expect(checks[0]?.status).toMatchObject({ code: 2, message: "worker exited" });
    expect(checks[1]?.status.code).toBe(0);
    expect(memory.spans().filter((span) => span.name === "verifier.verdict")).toHaveLength(1);
  });

  it("ends the oldest proofs' spans past its limit, and makes none without a trace", () => {
    const memory = inMemory();
    made.push(memory);
    const traces = new ProofTraces(memory.tracing, 2);
    const jobs = [1, 2, 3].map((id) => ({ id, ...submission(traces, memory.tracer) }));
    for (const job of jobs) traces.queued(job.id, job.parent);
    // The first proof's queue span was ended to stay within the limit; it gets no more spans.
    const queues = () => memory.spans().filter((span) => span.name === "verifier.queue");
    expect(queues().map((span) => span.attributes["proof.id"])).toEqual([1]);
    traces.queued(4, undefined); // a spool proof, or one accepted before a restart
    traces.checking([1, 2, 3, 4], "multiplier");
    const checks = memory.spans().filter((span) => span.name === "verifier.batch_check");
    expect(checks).toHaveLength(0); // open until the verdicts
    traces.verdicts([1, 2, 3, 4]).end(new Map());
    expect(
      memory
        .spans()
        .filter((span) => span.name === "verifier.batch_check")
        .map((span) => span.attributes["proof.id"])
        .sort(),
    ).toEqual([2, 3]);
    expect(new ProofTraces(null).request({})).toBeNull();
  });
});
