// Every query in dashboards/json/*.json, run through a real Prometheus that scrapes the
// exporter (fake-nvml), the prover service (on the same fake GPUs), the verifier and the
// quarantine service with the shipped rules: each must parse and return at least one series.
// A query that matches nothing fails.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../common/package-root.js";
import { FAULTY, type Fleet, startFleet, uuidOf } from "./fleet.js";

interface Target {
  expr?: string;
}
interface PanelJson {
  title?: string;
  targets?: Target[];
  panels?: PanelJson[];
}
interface DashboardJson {
  title: string;
  panels: PanelJson[];
  templating: { list: Array<{ name: string; type: string; query?: unknown }> };
}

interface Query {
  where: string;
  expr: string;
}

const jsonDir = join(packageRoot(), "dashboards/json");

/** `label_values(selector, label)`, Grafana's variable query, as PromQL. */
function variableQuery(text: string): string {
  const match = /^label_values\((.*),\s*(\w+)\)$/s.exec(text.trim());
  if (!match) throw new Error(`unsupported variable query: ${text}`);
  return `group by (${match[2]}) (${match[1]})`;
}

function dashboardQueries(): Query[] {
  const queries: Query[] = [];
  for (const file of readdirSync(jsonDir).filter((name) => name.endsWith(".json"))) {
    const dashboard = JSON.parse(readFileSync(join(jsonDir, file), "utf8")) as DashboardJson;
    const walk = (panels: PanelJson[]) => {
      for (const panel of panels) {
        for (const [index, target] of (panel.targets ?? []).entries()) {
          if (target.expr) {
            queries.push({ where: `${file} "${panel.title}" #${index}`, expr: target.expr });
          }
        }
        walk(panel.panels ?? []);
      }
    };
    walk(dashboard.panels);
    for (const variable of dashboard.templating.list) {
      if (variable.type === "query" && typeof variable.query === "string") {
        queries.push({ where: `${file} $${variable.name}`, expr: variableQuery(variable.query) });
      }
    }
  }
  return queries;
}

/** What Grafana puts in place of the variables; `$host`/`$gpu` as regexes. */
function substitute(expr: string, values: { host: string; gpu: string }): string {
  const text = expr
    .replaceAll("$__rate_interval", "1m")
    .replaceAll("$__range", "1h")
    .replaceAll("$__interval", "15s")
    .replaceAll("$host", values.host)
    .replaceAll("$gpu", values.gpu);
  if (text.includes("$")) throw new Error(`unsubstituted variable in ${text}`);
  return text;
}

interface Outcome {
  where: string;
  problem: string;
  /** A parse error does not go away by waiting. */
  final: boolean;
}

async function run(url: string, query: Query, values: { host: string; gpu: string }) {
  const expr = substitute(query.expr, values);
  const response = await fetch(`${url}/api/v1/query`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query: expr }),
  });
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: unknown[] };
  };
  if (body.status !== "success") {
    return { where: query.where, problem: `${body.error}\n${expr}`, final: true };
  }
  if (!body.data || body.data.result.length === 0) {
    return { where: query.where, problem: `no data\n${expr}`, final: false };
  }
  return null;
}

describe("dashboard queries against a real Prometheus", () => {
  let fleet: Fleet;
  const queries = dashboardQueries();

  beforeAll(async () => {
    fleet = await startFleet();
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it("finds the queries of all three dashboards", () => {
    expect(queries.length).toBeGreaterThan(60);
    for (const file of ["fleet-overview", "gpu-detail", "proof-integrity"]) {
      expect(queries.some((query) => query.where.startsWith(`${file}.json`))).toBe(true);
    }
  });

  it("tells a query that matches nothing from one that does not parse", async () => {
    const all = { host: ".*", gpu: ".*" };
    const nothing = await run(
      fleet.prometheus.url,
      { where: "x", expr: "proofwatch_gpu_none" },
      all,
    );
    expect(nothing).toMatchObject({ problem: expect.stringMatching(/^no data/), final: false });
    const broken = await run(fleet.prometheus.url, { where: "x", expr: "sum by (" }, all);
    expect(broken).toMatchObject({ final: true });
  });

  it("returns data for every query, for all GPUs and for one", { timeout: 90_000 }, async () => {
    const selections = [
      { name: "all", host: ".*", gpu: ".*" },
      {
        name: `GPU ${FAULTY}`,
        host: fleet.instance.replaceAll(".", "\\\\."),
        gpu: uuidOf(FAULTY),
      },
    ];
    const until = Date.now() + 60_000;
    let failures: string[] = [];
    for (;;) {
      const outcomes = await Promise.all(
        selections.flatMap((selection) =>
          queries.map(async (query) => {
            const outcome = await run(fleet.prometheus.url, query, selection);
            return outcome && { ...outcome, where: `[${selection.name}] ${outcome.where}` };
          }),
        ),
      );
      const failed = outcomes.filter((outcome): outcome is Outcome => outcome !== null);
      failures = failed.map((outcome) => `${outcome.where}: ${outcome.problem}`);
      if (failed.length === 0 || failed.some((outcome) => outcome.final) || Date.now() > until) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(failures).toEqual([]);
  });
});
