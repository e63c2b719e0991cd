// The verifier client's one delivery loop serves every job: each line it logs about a delivery
// (a retry, a refusal) is written in that delivery's job's trace, not in the trace of whichever
// job happened to start the loop. The verifier here is a stand-in HTTP server (the Recorder)
// answering 503, then 400.
import { context, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import type { Logger } from "../../common/log.js";
import { createTracing } from "../../common/tracing.js";
import type { ProofSubmission } from "../../contracts/index.js";
import { VerifierClient } from "../../prover/service/src/verifier-client.js";
import { VerifierCredentials } from "../../prover/service/src/verifier-credentials.js";
import { type Recorder, startRecorder, until } from "./helpers.js";

interface Line {
  msg: string;
  job: unknown;
  traceId: string | undefined;
}

/** A Logger that keeps each line with the trace id active when it was written. */
function recordingLogger(lines: Line[]): Logger {
  const keep = (msg: string, fields: Record<string, unknown> = {}) =>
    lines.push({
      msg,
      job: fields.job,
      traceId: trace.getSpan(context.active())?.spanContext().traceId,
    });
  return { debug: keep, info: keep, warn: keep, error: keep };
}

const body = (jobId: string) =>
  ({
    circuit: "multiplier",
    proof: {},
    publicSignals: ["33"],
    gpu: { uuid: "GPU-1", host: "h1" },
    jobId,
  }) as unknown as ProofSubmission;

describe("verifier deliveries' log lines", () => {
  let recorder: Recorder | undefined;
  let client: VerifierClient | undefined;
  afterEach(async () => {
    client?.close();
    await recorder?.close();
  });

  it("carry their own job's trace id, whichever job started the delivery loop", {
    timeout: 30_000,
  }, async () => {
    recorder = await startRecorder();
    recorder.status = 503;
    const lines: Line[] = [];
    const log = recordingLogger(lines);
    const none = { tokenFile: null, caFile: null, certFile: null, keyFile: null };
    client = new VerifierClient(
      {
        url: recorder.url,
        maxBacklog: 10,
        timeoutMs: 5_000,
        credentials: await VerifierCredentials.load(none, recorder.url, log),
        onResult: () => {},
      },
      log,
    );
    const tracing = createTracing({ service: "delivery-test", endpoint: null });
    const spans = { a: tracing.tracer.startSpan("job a"), b: tracing.tracer.startSpan("job b") };
    const outcomes: string[] = [];
    const deliver = (job: "a" | "b") =>
      context.with(trace.setSpan(context.active(), spans[job]), () =>
        client?.submit({
          body: body(job),
          headers: {},
          done: (outcome) => outcomes.push(`${job} ${outcome.state}`),
        }),
      );

    // Job a starts the loop and is retried; job b waits behind it; then both are refused.
    deliver("a");
    await until(
      () => lines.find((line) => line.msg.includes("will retry")),
      "a retry of job a",
      10_000,
    );
    deliver("b");
    recorder.status = 400;
    await until(() => (outcomes.length === 2 ? true : undefined), "both refused", 20_000);

    const traceOf = { a: spans.a.spanContext().traceId, b: spans.b.spanContext().traceId };
    const aboutJobs = lines.filter((line) => line.job === "a" || line.job === "b");
    expect(aboutJobs.map((line) => `${line.job} ${line.msg}`)).toEqual([
      "a verifier unavailable; will retry",
      "a verifier refused a proof",
      "b verifier refused a proof",
    ]);
    for (const line of aboutJobs) expect(line.traceId).toBe(traceOf[line.job as "a" | "b"]);
    spans.a.end();
    spans.b.end();
    await tracing.shutdown();
  });
});
