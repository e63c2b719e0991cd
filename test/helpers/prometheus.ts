// Tests reach Prometheus through the same launcher the demo uses.
import { until } from "./until.js";

export {
  PROMETHEUS_BINARY,
  type PrometheusOptions,
  type RunningPrometheus,
  startPrometheus,
} from "../../common/prometheus.js";

/** `until` with the argument order the Prometheus-facing tests were written with. */
export function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  return until(check, what, timeoutMs);
}
