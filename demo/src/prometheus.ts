// Runs Debian's `prometheus` binary on loopback with a generated configuration: the demo
// uses it to show the shipped rules at work, and the tests to see what Prometheus makes of
// our metrics and rules.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";

export interface PrometheusOptions {
  /** Loopback port to listen on; a free one when absent. */
  port?: number;
  /** host:port targets of one scrape job named "proofwatch". */
  targets: string[];
  scrapeInterval?: string;
  evaluationInterval?: string;
  ruleFiles?: string[];
  alertmanagers?: string[];
}

export interface RunningPrometheus {
  url: string;
  /** Runs an instant query and returns its vector result. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? "/usr/bin/prometheus";

function configYaml(options: PrometheusOptions): string {
  const lines = [
    "global:",
    `  scrape_interval: ${options.scrapeInterval ?? "1s"}`,
    `  evaluation_interval: ${options.evaluationInterval ?? "1s"}`,
  ];
  if (options.ruleFiles?.length) {
    lines.push("rule_files:", ...options.ruleFiles.map((file) => `  - ${JSON.stringify(file)}`));
  }
  if (options.alertmanagers?.length) {
    lines.push("alerting:", "  alertmanagers:", "    - static_configs:", "        - targets:");
    lines.push(...options.alertmanagers.map((target) => `            - ${JSON.stringify(target)}`));
  }
  lines.push(
    "scrape_configs:",
    "  - job_name: proofwatch",
    "    static_configs:",
    "      - targets:",
  );
  lines.push(...options.targets.map((target) => `          - ${JSON.stringify(target)}`));
  return `${lines.join("\n")}\n`;
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`prometheus exited early:\n${log()}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`prometheus did not become ready in 30 s:\n${log()}`);
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "proofwatch-prometheus-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, configYaml(options));
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await waitReady(url, child, () => stderr);

  return {
    url,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      if (body.status !== "success") throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data.result;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
