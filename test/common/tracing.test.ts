// common/tracing.ts: the standard OTEL_* variables as the SDK reads them (sampler, export on or
// off), the --otlp-endpoint check, and W3C trace context out of one service and into another.
import { trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { createTracing, parseOtlpEndpoint, type Tracing } from "../../common/tracing.js";

const VARIABLES = [
  "OTEL_TRACES_SAMPLER",
  "OTEL_TRACES_SAMPLER_ARG",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_TRACES_EXPORTER",
  "OTEL_SDK_DISABLED",
];

describe("tracing set-up", () => {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  const made: Tracing[] = [];
  const tracing = (env: Record<string, string>, endpoint: string | null = null) => {
    for (const name of VARIABLES) delete process.env[name];
    Object.assign(process.env, env);
    const created = createTracing({ service: "proofwatch-test", endpoint });
    made.push(created);
    return created;
  };

  afterEach(async () => {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    // Nothing listens at the endpoints below: shut down without waiting for an export.
    await Promise.all(made.splice(0).map((t) => t.shutdown().catch(() => undefined)));
  });

  it("samples as OTEL_TRACES_SAMPLER says, and keeps every span by default", () => {
    expect(tracing({}).tracer.startSpan("job").isRecording()).toBe(true);
    expect(
      tracing({ OTEL_TRACES_SAMPLER: "always_off" }).tracer.startSpan("job").isRecording(),
    ).toBe(false);
    const ratio = tracing({
      OTEL_TRACES_SAMPLER: "traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0",
    });
    expect(ratio.tracer.startSpan("job").isRecording()).toBe(false);
  });

  it("exports only when an endpoint is set and export is not turned off", () => {
    expect(tracing({}).endpoint).toBeNull();
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1" }).endpoint).toBe(
      "$OTEL_EXPORTER_OTLP_ENDPOINT",
    );
    expect(
      tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:1/v1/traces" }).endpoint,
    ).toBe("$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    // The flag wins over the variables.
    expect(
      tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1" }, "http://127.0.0.1:2/")
        .endpoint,
    ).toBe("http://127.0.0.1:2/v1/traces");
    const offs: Record<string, string>[] = [
      { OTEL_TRACES_EXPORTER: "none" },
      { OTEL_SDK_DISABLED: "true" },
    ];
    for (const off of offs) {
      expect(
        tracing({ ...off, OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1" }).endpoint,
      ).toBeNull();
    }
  });

  it("passes a span's context on in traceparent, and takes it back", () => {
    const prover = tracing({});
    const verifier = tracing({});
    const span = prover.tracer.startSpan("prover.verifier_submit");
    const headers = prover.headers(span);
    expect(headers.traceparent).toBe(
      `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
    );
    const parent = trace.getSpanContext(verifier.extract(headers));
    expect(parent).toMatchObject({
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      isRemote: true,
    });
    const child = verifier.tracer.startSpan("verifier.submit", {}, verifier.extract(headers));
    expect(child.spanContext().traceId).toBe(span.spanContext().traceId);
    // No traceparent (or a malformed one): a new trace.
    expect(trace.getSpanContext(verifier.extract({ traceparent: "00-zz-01" }))).toBeUndefined();
  });

  it.each([
    ["//collector:4318", "is not a URL"],
    ["collector:4318", "needs an http or https URL"],
    ["grpc://collector:4317", "needs an http or https URL"],
  ])("refuses --otlp-endpoint %s", (text, reason) => {
    expect(() => parseOtlpEndpoint(text)).toThrow(reason);
  });
});
