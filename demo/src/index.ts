// `proofwatch demo`: the suite on one machine without GPUs. fake-nvml plays a fleet in which
// one GPU's memory degrades; the exporter reports it, Prometheus (when installed) evaluates
// the shipped alert rules, and a live table shows each GPU's health and firing alerts.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseDuration } from "../../common/duration.js";
import { parseExposition } from "../../common/exposition.js";
import { createLogger } from "../../common/log.js";
import { packageRoot } from "../../common/package-root.js";
import {
  PROMETHEUS_BINARY,
  type RunningPrometheus,
  startPrometheus,
} from "../../common/prometheus.js";
import { fakeNvmlLibraryPath } from "../../native/index.js";
import { type FiringAlert, renderTable } from "./table.js";

export const USAGE = `Usage: proofwatch demo [options]

Starts the demo fleet on loopback: fake-nvml with 4 GPUs (one of them degrading), the
exporter, and Prometheus with the shipped alert rules when it is installed.

Options:
  --exporter-port PORT    default 9840
  --prometheus-port PORT  default 9090
  --duration DURATION     stop by itself after this long (default: run until Ctrl-C)
  --help
`;

const log = createLogger("demo");

async function firingAlerts(prometheus: RunningPrometheus | undefined): Promise<FiringAlert[]> {
  if (!prometheus) return [];
  const response = await fetch(`${prometheus.url}/api/v1/alerts`);
  const body = (await response.json()) as {
    data: { alerts: Array<{ state: string; labels: Record<string, string> }> };
  };
  return body.data.alerts
    .filter((alert) => alert.state === "firing")
    .map(({ labels }) => ({
      alertname: labels.alertname ?? "?",
      ...(labels.uuid ? { uuid: labels.uuid } : {}),
      ...(labels.severity ? { severity: labels.severity } : {}),
    }));
}

function ruleFiles(root: string): string[] {
  const dir = join(root, "alerts");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".rules.yml"))
    .map((name) => join(dir, name));
}

export async function runDemo(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "exporter-port": { type: "string", default: "9840" },
      "prometheus-port": { type: "string", default: "9090" },
      duration: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const root = packageRoot();
  process.env.PROOFWATCH_NVML_LIBRARY = fakeNvmlLibraryPath();
  process.env.FAKE_NVML_SCENARIO = join(root, "demo/scenario.json");
  // Imported after the environment is set: the exporter loads NVML as it starts.
  const { COLLECTORS, startExporter } = await import("../../exporter/src/index.js");
  const exporter = await startExporter({
    listen: { host: "127.0.0.1", port: Number(values["exporter-port"]) },
    collectors: COLLECTORS.map((c) => c.name),
    scrapeDeadlineMs: 2000,
  });

  let prometheus: RunningPrometheus | undefined;
  if (existsSync(PROMETHEUS_BINARY)) {
    prometheus = await startPrometheus({
      port: Number(values["prometheus-port"]),
      targets: [`127.0.0.1:${exporter.address.port}`],
      scrapeInterval: "5s",
      evaluationInterval: "5s",
      ruleFiles: ruleFiles(root),
    });
  } else {
    log.warn(`${PROMETHEUS_BINARY} not found: running without Prometheus and alerts`);
  }

  process.stdout.write(
    [
      "proofwatch demo is running:",
      `  exporter    ${exporter.url}/metrics`,
      `  prometheus  ${prometheus ? `${prometheus.url}/alerts` : "not installed (apt-get install prometheus)"}`,
      "",
    ].join("\n"),
  );

  const started = Date.now();
  const interactive = process.stdout.isTTY === true;
  const refresh = async () => {
    const metrics = parseExposition(await (await fetch(`${exporter.url}/metrics`)).text());
    const table = renderTable(
      metrics,
      await firingAlerts(prometheus),
      (Date.now() - started) / 1000,
    );
    process.stdout.write(interactive ? `\x1b[2J\x1b[H${table}\n` : `${table}\n\n`);
  };
  const timer = setInterval(() => {
    refresh().catch((error: unknown) => log.warn("refresh failed", { error: String(error) }));
  }, 2000);

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
    if (values.duration) setTimeout(resolve, parseDuration(values.duration));
  });
  clearInterval(timer);
  await prometheus?.stop();
  await exporter.close();
  process.stdout.write("proofwatch demo stopped; nothing left running.\n");
}
