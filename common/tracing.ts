// OpenTelemetry traces for the services: one trace per proof job, from the prover service
// through the verifier (which continues the `traceparent` the prover sends). Spans are exported
// over OTLP/HTTP (JSON) when an endpoint is set (a service's --otlp-endpoint, or the standard
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT); otherwise they are made and
// dropped, which costs next to nothing. The rest of the standard OTEL_* variables are read by
// the SDK itself: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env resource detector),
// OTEL_EXPORTER_OTLP_HEADERS and _TIMEOUT (the exporter), OTEL_TRACES_SAMPLER and _ARG and the
// span limits (the tracer provider); OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true turn
// export off.
//
// Like the metrics, each service has a provider of its own rather than NodeSDK's global one,
// so that services in one process (tests, benchmarks) keep their own service.name; the tracer
// is handed to whoever needs it. The context manager is global (there is one async context
// per process): it is what lets a log line find the span it is written under (common/log.ts).
import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  type Tracer,
  trace,
} from "@opentelemetry/api";
// Installed with the SDK (sdk-trace-node depends on it); the one context manager for Node.
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
// core and resources through sdk-node, which re-exports the SDK packages it is built from.
import { core, resources } from "@opentelemetry/sdk-node";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { packageVersion } from "./package-root.js";

export interface Tracing {
  tracer: Tracer;
  /** Where spans go, for the start-up line: a URL, the variable that names one, or null. */
  endpoint: string | null;
  /** W3C `traceparent` (and `tracestate`) headers for a span, for a request it makes. */
  headers(span: Span): Record<string, string>;
  /** The context an incoming request's `traceparent` names (the root context without one). */
  extract(headers: Record<string, string | string[] | undefined>): Context;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** service.name unless OTEL_SERVICE_NAME says otherwise: `proofwatch-prover`, ... */
  service: string;
  /** A base URL given on the command line (its /v1/traces gets the spans); null: the env's. */
  endpoint?: string | null;
  /** More resource attributes (host.name ...); OTEL_RESOURCE_ATTRIBUTES wins over them. */
  attributes?: Record<string, string>;
}

const propagator = new core.W3CTraceContextPropagator();

/**
 * The context an incoming request's W3C `traceparent` names, so that the spans started under
 * it continue the caller's trace; the root context when it has none (or a malformed one).
 */
export function extractContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, {
    get: (carrier, key) => carrier[key],
    keys: (carrier) => Object.keys(carrier),
  });
}

/** A --otlp-endpoint value: an http(s) base URL, refused with the reason otherwise. */
export function parseOtlpEndpoint(text: string, source = "--otlp-endpoint"): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${source} "${text}" is not a URL (for example http://collector:4318)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`${source} "${text}": OTLP/HTTP needs an http or https URL`);
  }
  return text;
}

/** Registers the AsyncLocalStorage context manager once per process. */
export function enableContext(): void {
  // Returns false when one is registered already (another service in this process).
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** Where to export to, or null for nowhere; the exporter itself reads the variables' values. */
function destination(flag: string | null): { url?: string; describe: string } | null {
  if (core.getBooleanFromEnv("OTEL_SDK_DISABLED")) return null;
  if (core.getStringListFromEnv("OTEL_TRACES_EXPORTER")?.[0] === "none") return null;
  if (flag) {
    const url = `${flag.replace(/\/+$/, "")}/v1/traces`;
    return { url, describe: url };
  }
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]) {
    if (core.getStringFromEnv(name)) return { describe: `$${name}` };
  }
  return null;
}

export function createTracing(options: TracingOptions): Tracing {
  enableContext();
  const to = destination(options.endpoint ?? null);
  const spanProcessors: SpanProcessor[] = to
    ? [
        new BatchSpanProcessor(new OTLPTraceExporter(to.url ? { url: to.url } : {}), {
          scheduledDelayMillis: 1000,
        }),
      ]
    : [];
  const resource = resources
    .resourceFromAttributes({
      "service.name": options.service,
      "service.version": packageVersion(),
      ...options.attributes,
    })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors });
  const setter = {
    set: (carrier: Record<string, string>, key: string, value: string) => {
      carrier[key] = value;
    },
  };
  return {
    tracer: provider.getTracer(options.service, packageVersion()),
    endpoint: to?.describe ?? null,
    headers(span) {
      const carrier: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, setter);
      return carrier;
    },
    extract: extractContext,
    shutdown: () => provider.shutdown(),
  };
}

/** The context whose parent is `span`, for starting child spans explicitly. */
export function under(span: Span): Context {
  return trace.setSpan(context.active(), span);
}
