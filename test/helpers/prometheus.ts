// Tests reach Prometheus through the same launcher the demo uses.
export {
  PROMETHEUS_BINARY,
  type PrometheusOptions,
  type RunningPrometheus,
  startPrometheus,
} from "../../common/prometheus.js";

/** Polls `check` until it returns a value, for things that happen on Prometheus' own clock. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}
