// The prover service's traces (common/tracing.ts): one trace per job, a root span from
// submission to its end, a child span per run on a GPU with a span per proving phase, and one
// for the delivery to the verifier, whose spans continue the same trace.
import { createTracing as createServiceTracing, type Tracing } from "../../../common/tracing.js";

export { type Tracing, under } from "../../../common/tracing.js";

export function createTracing(options: { endpoint: string | null; host: string }): Tracing {
  return createServiceTracing({
    service: "proofwatch-prover",
    endpoint: options.endpoint,
    attributes: { "host.name": options.host },
  });
}
