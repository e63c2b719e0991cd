// Tests reach Prometheus through the same launcher the demo uses, check expositions with
// promtool, and hold what a service serves against docs/metrics.md.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../common/package-root.js";
import type { Exposition } from "../../demo/src/exposition.js";
import { until } from "./until.js";

export {
  PROMETHEUS_BINARY,
  type PrometheusOptions,
  type RunningPrometheus,
  startPrometheus,
} from "../../demo/src/prometheus.js";

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

/** The families of an exposition whose names start with `prefix`: name → type. */
export function familyTypes(exposition: Exposition, prefix: string): Record<string, string> {
  return Object.fromEntries([...exposition.types].filter(([name]) => name.startsWith(prefix)));
}

/** Those of `names` that docs/metrics.md does not name (as `name`). */
export function undocumentedMetrics(names: Iterable<string>): string[] {
  const docs = readFileSync(join(packageRoot(), "docs/metrics.md"), "utf8");
  return [...names].filter((name) => !docs.includes(`\`${name}\``));
}

/** The process families the verifier, quarantine and prover services serve on Linux
 * (common/metrics.ts), by type. */
export const PROCESS_FAMILIES = {
  process_cpu_seconds_total: "counter",
  process_cpu_system_seconds_total: "counter",
  process_cpu_user_seconds_total: "counter",
  process_heap_bytes: "gauge",
  process_max_fds: "gauge",
  process_open_fds: "gauge",
  process_resident_memory_bytes: "gauge",
  process_start_time_seconds: "gauge",
  process_virtual_memory_bytes: "gauge",
} as const;

/** What a service says about itself: its `process_*` families and `proofwatch_build_info`
 * samples, and which of those names docs/metrics.md leaves out. */
export function selfMetrics(exposition: Exposition) {
  const processFamilies = familyTypes(exposition, "process_");
  return {
    processFamilies,
    buildInfo: exposition.samples.filter((sample) => sample.name === "proofwatch_build_info"),
    undocumented: undocumentedMetrics([...Object.keys(processFamilies), "proofwatch_build_info"]),
  };
}
