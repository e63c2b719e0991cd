// OpenTelemetry traces: one trace per job (a root span from submission to its end, a child
// span per run on a GPU with a span per proving phase, and one for the delivery to the
// verifier). Exported over OTLP/HTTP when an endpoint is set (--otlp-endpoint, or the standard
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT); otherwise spans are made
// and dropped, which costs next to nothing.
//
// Like the metrics, the provider is the service's own rather than NodeSDK's global one, so
// services in one process do not share it; the tracer is handed to whoever needs it.
import { type Context, context, type Span, type Tracer, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
// core and resources through sdk-node, which re-exports the SDK packages it is built from.
import { core, resources } from "@opentelemetry/sdk-node";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { packageVersion } from "../../../common/package-root.js";

export interface Tracing {
  tracer: Tracer;
  /** Where spans go: the OTLP URL, or null when they are not exported. */
  endpoint: string | null;
  /** W3C `traceparent` (and `tracestate`) headers for a span, for the verifier request. */
  headers(span: Span): Record<string, string>;
  shutdown(): Promise<void>;
}

/** The OTLP traces URL: the flag's base URL plus /v1/traces, else what the env says. */
function tracesUrl(endpoint: string | null): string | null {
  if (endpoint) return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
  const env = process.env;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`;
  }
  return null;
}

export function createTracing(options: { endpoint: string | null; host: string }): Tracing {
  const url = tracesUrl(options.endpoint);
  const spanProcessors: SpanProcessor[] = url
    ? [new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 1000 })]
    : [];
  const provider = new BasicTracerProvider({
    resource: resources.resourceFromAttributes({
      "service.name": "proofwatch-prover",
      "service.version": packageVersion(),
      "host.name": options.host,
    }),
    spanProcessors,
  });
  const propagator = new core.W3CTraceContextPropagator();
  return {
    tracer: provider.getTracer("proofwatch-prover", packageVersion()),
    endpoint: url,
    headers(span) {
      const carrier: Record<string, string> = {};
      propagator.inject(trace.setSpan(context.active(), span), carrier, {
        set: (target, key, value) => {
          target[key] = value;
        },
      });
      return carrier;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The context whose parent is `span`, for starting child spans explicitly. */
export function under(span: Span): Context {
  return trace.setSpan(context.active(), span);
}
