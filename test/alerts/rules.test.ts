/**
 * The alert rules in `alerts/`: promtool validates and unit-tests them, a real Prometheus loads
 * them (its rules API is the YAML parser here, so the checks see what Prometheus sees), and
 * every alert is held to the conventions in `alerts/README.md`. The Alertmanager example is
 * checked and its routes resolved with amtool.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ON_REQUEST_ALERTS } from "../../alerts/src/index.js";
import { eventually, type RunningPrometheus, startPrometheus } from "../helpers/prometheus.js";

const ROOT = resolve(import.meta.dirname, "../..");
const ALERTS = join(ROOT, "alerts");
const TESTS = join(ALERTS, "tests");
const RUNBOOKS = join(ROOT, "docs/runbooks");
const PROMTOOL = process.env.PROMTOOL_BINARY ?? "/usr/bin/promtool";
const AMTOOL = process.env.AMTOOL_BINARY ?? "/usr/bin/amtool";
const ALERTMANAGER_EXAMPLE = join(ALERTS, "alertmanager.example.yml");
const RUNBOOK_BASE = "https://github.com/proofwatch/proofwatch/blob/main/docs/runbooks/";
// The host part of `instance`, as quarantine/src/payload.ts hostOfInstance() reads it.
const HOST_TEMPLATE =
  '{{ reReplaceAll `^\\[(.*)\\](:[0-9]+)?$|^([^:]*):[0-9]+$` "$1$3" $labels.instance }}';

const ruleFiles = readdirSync(ALERTS)
  .filter((name) => name.endsWith(".rules.yml"))
  .sort();
const testFiles = readdirSync(TESTS)
  .filter((name) => name.endsWith(".test.yml"))
  .sort();

function run(file: string, args: readonly string[]): { code: number | null; output: string } {
  const result = spawnSync(file, args, { cwd: ROOT, encoding: "utf8" });
  if (result.error) throw result.error;
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Fails with the tool's own output, which names the rule, time and labels that differed. */
function expectSuccess(result: { code: number | null; output: string }): void {
  if (result.code !== 0) expect.fail(`exit ${result.code}\n${result.output}`);
}

// --- Prometheus' view of the rules -------------------------------------------------------------

const ruleSchema = z.object({
  type: z.enum(["alerting", "recording"]),
  name: z.string(),
  query: z.string(),
  duration: z.number().optional(),
  labels: z.record(z.string(), z.string()).nullish(),
  annotations: z.record(z.string(), z.string()).nullish(),
});
const rulesResponseSchema = z.object({
  status: z.literal("success"),
  data: z.object({
    groups: z.array(z.object({ name: z.string(), file: z.string(), rules: z.array(ruleSchema) })),
  }),
});

interface AlertRule {
  name: string;
  file: string;
  query: string;
  forSeconds: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

let prometheus: RunningPrometheus | undefined;
let alerts: AlertRule[] = [];

beforeAll(async () => {
  // The target is a closed port: nothing needs scraping, only the rules loading.
  prometheus = await startPrometheus({
    targets: ["127.0.0.1:1"],
    ruleFiles: ruleFiles.map((name) => join(ALERTS, name)),
  });
  const url = prometheus.url;
  const groups = await eventually(
    async () => {
      const body = rulesResponseSchema.parse(await (await fetch(`${url}/api/v1/rules`)).json());
      return body.data.groups.length === ruleFiles.length ? body.data.groups : undefined;
    },
    20_000,
    "Prometheus to load every rule file",
  );
  alerts = groups.flatMap((group) =>
    group.rules
      .filter((rule) => rule.type === "alerting")
      .map((rule) => ({
        name: rule.name,
        file: group.file,
        query: rule.query,
        forSeconds: rule.duration ?? 0,
        labels: rule.labels ?? {},
        annotations: rule.annotations ?? {},
      })),
  );
});

afterAll(async () => {
  await prometheus?.stop();
});

// --- promtool ------------------------------------------------------------------------------------

describe("promtool", () => {
  it("finds rule files and a test file for each", () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    const expectedTests = ruleFiles.map((name) => name.replace(/\.rules\.yml$/, ".test.yml"));
    expect(testFiles).toEqual(expect.arrayContaining(expectedTests));
  });

  it.each(ruleFiles)("check rules accepts %s", (name) => {
    expectSuccess(run(PROMTOOL, ["check", "rules", join(ALERTS, name)]));
  });

  it.each(testFiles)("test rules passes %s", (name) => {
    expectSuccess(run(PROMTOOL, ["test", "rules", join(TESTS, name)]));
  });
});

// --- unit-test coverage ----------------------------------------------------------------------

interface RuleTestCase {
  file: string;
  alertname: string;
  firing: boolean;
}

/**
 * The alert_rule_test entries of a promtool test file. No YAML parser ships with the project,
 * so this reads the layout the test files keep (each entry starts `- eval_time:` and names
 * `alertname` and `exp_alerts`) and fails on an entry it cannot read rather than skip it.
 */
function ruleTestCases(file: string): RuleTestCase[] {
  const cases: RuleTestCase[] = [];
  let current: { alertname?: string; firing?: boolean; line: number } | undefined;
  const finish = () => {
    if (!current) return;
    const { alertname, firing, line } = current;
    if (alertname === undefined || firing === undefined) {
      throw new Error(`${file}:${line}: alert_rule_test entry without alertname or exp_alerts`);
    }
    cases.push({ file, alertname, firing });
  };
  readFileSync(join(TESTS, file), "utf8")
    .split("\n")
    .forEach((line, index) => {
      if (/^\s*- eval_time:/.test(line)) {
        finish();
        current = { line: index + 1 };
        return;
      }
      if (!current) return;
      const name = /^\s*alertname:\s*(\S+)\s*$/.exec(line);
      if (name) current.alertname = name[1];
      const expected = /^\s*exp_alerts:\s*(\S*)\s*$/.exec(line);
      if (expected) current.firing = expected[1] !== "[]";
      // Leaving the alert_rule_test list (next test group) closes the entry.
      if (/^\s*- interval:/.test(line)) {
        finish();
        current = undefined;
      }
    });
  finish();
  return cases;
}

describe("unit-test coverage", () => {
  it("tests every alert both firing and silent", () => {
    const cases = testFiles.flatMap(ruleTestCases);
    const names = alerts.map((alert) => alert.name);
    const missing = names.flatMap((name) => {
      const mine = cases.filter((c) => c.alertname === name);
      const gaps: string[] = [];
      if (!mine.some((c) => c.firing)) gaps.push(`${name}: no case where it fires`);
      if (!mine.some((c) => !c.firing)) gaps.push(`${name}: no case where it stays silent`);
      return gaps;
    });
    expect(missing).toEqual([]);
    const unknown = cases.filter((c) => !names.includes(c.alertname)).map((c) => c.alertname);
    expect(unknown).toEqual([]);
  });
});

// --- conventions ---------------------------------------------------------------------------------

/** Metric names in `docs/metrics.md`'s tables: the first backquoted cell of each row. */
function documentedMetrics(): Set<string> {
  const text = readFileSync(join(ROOT, "docs/metrics.md"), "utf8");
  return new Set(Array.from(text.matchAll(/^\| `(proofwatch_[a-z0-9_]+)`/gm), (m) => m[1] ?? ""));
}

function metricsIn(query: string): string[] {
  return Array.from(new Set(query.match(/\bproofwatch_[a-zA-Z0-9_]+/g) ?? []));
}

describe("alert conventions", () => {
  it("loads every alert into Prometheus, one group per file", () => {
    expect(alerts.length).toBeGreaterThan(0);
    const files = new Set(alerts.map((alert) => alert.file));
    expect(files.size).toBe(ruleFiles.length);
    const names = alerts.map((alert) => alert.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("names every alert in CamelCase with the Proofwatch prefix", () => {
    const bad = alerts.map((a) => a.name).filter((n) => !/^Proofwatch(?:[A-Z][a-z0-9]+)+$/.test(n));
    expect(bad).toEqual([]);
  });

  it("gives every alert a severity, host label and the three annotations", () => {
    for (const alert of alerts) {
      const where = `${alert.name} (${alert.file})`;
      expect(["critical", "warning", "info"], where).toContain(alert.labels.severity);
      expect(alert.labels.host, where).toBe(HOST_TEMPLATE);
      const { summary, description, runbook_url: runbook } = alert.annotations;
      expect(summary, where).toMatch(/\S/);
      expect(summary, `${where}: summary must be static`).not.toContain("{{");
      expect(description, where).toContain("$labels.instance");
      expect(description, where).toContain("$value");
      expect(runbook, where).toBe(`${RUNBOOK_BASE}${alert.name}.md`);
    }
  });

  it("names the GPU and its uuid in the description of per-GPU alerts", () => {
    // An alert is per-GPU when the first series it selects is a proofwatch_gpu_ metric.
    const perGpu = alerts.filter((alert) =>
      metricsIn(alert.query)[0]?.startsWith("proofwatch_gpu_"),
    );
    expect(perGpu.length).toBeGreaterThan(0);
    for (const alert of perGpu) {
      expect(alert.annotations.description, alert.name).toContain("$labels.gpu");
      expect(alert.annotations.description, alert.name).toContain("$labels.uuid");
    }
  });

  it("marks quarantine only with proofwatch_action=quarantine on critical per-GPU alerts", () => {
    const quarantine = alerts.filter((alert) => "proofwatch_action" in alert.labels);
    expect(quarantine.map((alert) => alert.name).sort()).toEqual([
      "ProofwatchGpuCanaryFailed",
      "ProofwatchGpuFatalXid",
      "ProofwatchGpuInvalidProofs",
      "ProofwatchGpuLost",
      "ProofwatchGpuRowRemapFailure",
      "ProofwatchGpuStuck",
      "ProofwatchGpuUncorrectedEccErrors",
    ]);
    for (const alert of quarantine) {
      expect(alert.labels.proofwatch_action, alert.name).toBe("quarantine");
      expect(alert.labels.severity, alert.name).toBe("critical");
      expect(alert.annotations.description, alert.name).toContain("$labels.uuid");
      // An aggregation in the expression would have to keep the labels the webhook reads.
      for (const by of alert.query.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
        expect(by[0].startsWith("by"), `${alert.name}: ${by[0]}`).toBe(true);
        expect(by[1]?.split(/\s*,\s*/), `${alert.name}: ${by[0]}`).toEqual(
          expect.arrayContaining(["instance", "gpu", "uuid"]),
        );
      }
    }
  });

  it("has a runbook for every alert and no runbook without one", () => {
    for (const alert of alerts) {
      const path = join(RUNBOOKS, `${alert.name}.md`);
      expect(existsSync(path), path).toBe(true);
      expect(readFileSync(path, "utf8"), path).toMatch(new RegExp(`^# ${alert.name}\\n`));
    }
    // Alerts an operator's config generates (not in the shipped rules) have runbooks too.
    const names = new Set(
      [...alerts.map((a) => a.name), ...ON_REQUEST_ALERTS].map((n) => `${n}.md`),
    );
    expect(readdirSync(RUNBOOKS).filter((file) => !names.has(file))).toEqual([]);
  });

  it("lists every alert in alerts/README.md with its severity, quarantine and for", () => {
    const text = readFileSync(join(ALERTS, "README.md"), "utf8");
    const rows = Array.from(
      text.matchAll(/^\| \[(\w+)\]\([^)]*\)[^|]*\|\s*(\w+)\s*\|\s*(yes|no)\s*\|\s*(\w+)\s*\|$/gm),
      (m) => ({ name: m[1], severity: m[2], quarantine: m[3], for: m[4] }),
    );
    const minutes = (seconds: number) => (seconds === 0 ? "0" : `${seconds / 60}m`);
    const actual = alerts.map((alert) => ({
      name: alert.name,
      severity: alert.labels.severity,
      quarantine: alert.labels.proofwatch_action === "quarantine" ? "yes" : "no",
      for: minutes(alert.forSeconds),
    }));
    const byName = (a: { name?: string }, b: { name?: string }) =>
      (a.name ?? "").localeCompare(b.name ?? "");
    expect(rows.sort(byName)).toEqual(actual.sort(byName));
  });

  it("uses only metrics documented in docs/metrics.md", () => {
    const documented = documentedMetrics();
    expect(documented.size).toBeGreaterThan(10);
    const undocumented = alerts.flatMap((alert) =>
      metricsIn(alert.query)
        .filter((metric) => !documented.has(metric))
        .map((metric) => `${alert.name}: ${metric}`),
    );
    expect(undocumented).toEqual([]);
  });
});

// --- Alertmanager example ------------------------------------------------------------------

describe("alertmanager.example.yml", () => {
  const missing = `${AMTOOL} is not installed (Debian package prometheus-alertmanager)`;

  it("passes amtool check-config", (ctx) => {
    ctx.skip(!existsSync(AMTOOL), missing);
    expectSuccess(run(AMTOOL, ["check-config", ALERTMANAGER_EXAMPLE]));
  });

  it.for([
    {
      labels: "proofwatch_action=quarantine severity=critical uuid=GPU-0 instance=a:9840",
      receivers: "proofwatch-quarantine,proofwatch-page",
    },
    { labels: "severity=critical instance=a:9840", receivers: "proofwatch-page" },
    { labels: "severity=warning uuid=GPU-0 instance=a:9840", receivers: "proofwatch-default" },
  ])("routes {$labels} to $receivers", ({ labels, receivers }, ctx) => {
    ctx.skip(!existsSync(AMTOOL), missing);
    expectSuccess(
      run(AMTOOL, [
        "config",
        "routes",
        "test",
        `--config.file=${ALERTMANAGER_EXAMPLE}`,
        `--verify.receivers=${receivers}`,
        ...labels.split(" "),
      ]),
    );
  });

  it("sends quarantine alerts to the local webhook with a bearer token from a file", () => {
    const text = readFileSync(ALERTMANAGER_EXAMPLE, "utf8");
    expect(text).toContain("url: http://127.0.0.1:9842/v1/alertmanager");
    expect(text).toMatch(
      /authorization:\s*\n\s*type: Bearer\s*\n(?:\s*#.*\n)*\s*credentials_file: \S+/,
    );
  });
});
