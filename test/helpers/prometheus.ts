// Tests reach Prometheus through the same launcher the demo uses, and check expositions
// with promtool.
import { spawnSync } from "node:child_process";
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

const PROMTOOL = process.env.PROMTOOL_BINARY ?? "/usr/bin/promtool";

/** `promtool check metrics` on a scrape: what it complains about (empty when clean), and its
 * exit status. */
export function promtoolCheckMetrics(scrape: string): { output: string; status: number | null } {
  const check = spawnSync(PROMTOOL, ["check", "metrics"], { input: scrape, encoding: "utf8" });
  return { output: check.stdout + check.stderr, status: check.status };
}
