// The whole suite on loopback, wired as a deployment would be: fake-nvml GPUs, the exporter,
// the verifier, the quarantine webhook and the prover service as child processes, Prometheus
// with the shipped rules scraping all four, and Alertmanager with the shipped routes sending
// quarantine alerts to the webhook. The demo, the end-to-end test and bench/chain all start it
// here, so that what the test checks and the bench measures is what the demo shows.
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ALERTMANAGER_BINARY,
  type RunningAlertmanager,
  startAlertmanager,
} from "../../common/alertmanager.js";
import { packageRoot } from "../../common/package-root.js";
import { freePort } from "../../common/ports.js";
import {
  PROMETHEUS_BINARY,
  type RunningPrometheus,
  startPrometheus,
} from "../../common/prometheus.js";
import { fakeNvmlLibraryPath } from "../../native/index.js";
import { type Service, startService, waitHealthy } from "./processes.js";

export const PARTS = [
  "exporter",
  "verifier",
  "quarantine",
  "prover",
  "prometheus",
  "alertmanager",
] as const;
export type Part = (typeof PARTS)[number];

/** The ports the services listen on when nobody says otherwise (docs and deploy/ use them). */
export const DEFAULT_PORTS: Record<Part, number> = {
  exporter: 9840,
  verifier: 9841,
  quarantine: 9842,
  prover: 9843,
  prometheus: 9090,
  alertmanager: 9093,
};

/** The circuits shipped for the demo (`demo/circuits/<id>/`). */
export const DEMO_CIRCUITS = "demo/circuits";
export const DEMO_CIRCUIT = "multiplier";

export interface SuiteOptions {
  /** fake-nvml scenario file: the fleet. Rewrite it (aside, then rename) to change a GPU. */
  scenario: string;
  /** A port per part; 0 or absent: a free one. */
  ports?: Partial<Record<Part, number>>;
  scrapeInterval: string;
  evaluationInterval: string;
  /** How often the prover reads the quarantine list (its own default is 2s). */
  quarantineInterval?: string;
  /** Share of the fleet the quarantine service may take out (default 0.5 of 4 GPUs). */
  maxShare?: number;
  fleetSize?: number;
  /** Progress lines while starting. */
  onProgress?: (line: string) => void;
}

export interface Suite {
  /** Workspace: logs, databases, token, proofs. Removed by `stop`. */
  dir: string;
  urls: Record<Part, string | null>;
  /** The webhook's bearer token; also in `tokenFile`. */
  token: string;
  tokenFile: string;
  /** Parts left out and why (Prometheus or Alertmanager not installed). */
  missing: string[];
  services: Service[];
  /** Process ids of every child the suite started (group leaders). */
  pids(): number[];
  stop(): Promise<void>;
}

/** The rule files shipped in `alerts/`. */
export function shippedRuleFiles(root = packageRoot()): string[] {
  const dir = join(root, "alerts");
  return readdirSync(dir)
    .filter((name) => name.endsWith(".rules.yml"))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * The shipped `alerts/alertmanager.example.yml` with the webhook pointed at this suite's
 * quarantine service and token, and the placeholder pager left without a config (it pages
 * nobody rather than trying to reach PagerDuty from a laptop).
 */
export function alertmanagerConfig(quarantineUrl: string, tokenFile: string): string {
  let text = readFileSync(join(packageRoot(), "alerts/alertmanager.example.yml"), "utf8");
  const replace = (from: string | RegExp, to: string) => {
    const next = text.replace(from, to);
    if (next === text) {
      throw new Error(`alerts/alertmanager.example.yml changed: cannot find ${String(from)}`);
    }
    text = next;
  };
  replace("http://127.0.0.1:9842/v1/alertmanager", `${quarantineUrl}/v1/alertmanager`);
  replace("/etc/proofwatch/quarantine-webhook.token", tokenFile);
  replace(/( {2}- name: proofwatch-page\n) {4}pagerduty_configs:\n(?: {6,}.*\n)*/, "$1");
  return text;
}

async function ports(given: Partial<Record<Part, number>> = {}): Promise<Record<Part, number>> {
  const chosen = {} as Record<Part, number>;
  for (const part of PARTS) chosen[part] = given[part] || (await freePort());
  return chosen;
}

export async function startSuite(options: SuiteOptions): Promise<Suite> {
  const root = packageRoot();
  const progress = options.onProgress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "proofwatch-suite-"));
  const logs = join(dir, "logs");
  mkdirSync(logs);
  const token = randomBytes(24).toString("hex");
  const tokenFile = join(dir, "quarantine.token");
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const port = await ports(options.ports);
  const url = (part: Part) => `http://127.0.0.1:${port[part]}`;
  const circuits = join(root, DEMO_CIRCUITS);
  const nvmlEnv = {
    PROOFWATCH_NVML_LIBRARY: fakeNvmlLibraryPath(),
    FAKE_NVML_SCENARIO: options.scenario,
  };

  const services: Service[] = [];
  let prometheus: RunningPrometheus | undefined;
  let alertmanager: RunningAlertmanager | undefined;
  const missing: string[] = [];
  const service = (name: Part, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const started = startService(name, [name, ...args], {
      env: { PROOFWATCH_LOG_LEVEL: "info", ...env },
      logFile: join(logs, `${name}.log`),
    });
    services.push(started);
    return started;
  };
  const stop = async () => {
    // Alerts first, so that nothing acts on a service going away; the prover before the
    // verifier so that its last deliveries can land.
    await Promise.allSettled([prometheus?.stop(), alertmanager?.stop()]);
    const order: Part[] = ["prover", "verifier", "quarantine", "exporter"];
    for (const name of order) {
      await Promise.allSettled(services.filter((s) => s.name === name).map((s) => s.stop()));
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    progress("starting the exporter, the verifier and the quarantine webhook");
    const exporter = service("exporter", ["--listen", `127.0.0.1:${port.exporter}`], nvmlEnv);
    const verifier = service("verifier", [
      "--listen",
      `127.0.0.1:${port.verifier}`,
      "--circuits",
      circuits,
      "--db",
      join(dir, "verifier.db"),
      "--workers",
      "1",
    ]);
    const quarantine = service("quarantine", [
      "--listen",
      `127.0.0.1:${port.quarantine}`,
      "--db",
      join(dir, "quarantine.db"),
      "--token-file",
      tokenFile,
      "--fleet-size",
      String(options.fleetSize ?? 4),
      "--max-share",
      String(options.maxShare ?? 0.5),
      "--quarantine-file",
      join(dir, "quarantine.json"),
    ]);
    await Promise.all([
      waitHealthy(exporter, `${url("exporter")}/healthz`),
      waitHealthy(verifier, `${url("verifier")}/healthz`),
      waitHealthy(quarantine, `${url("quarantine")}/healthz`),
    ]);

    progress("starting the prover service");
    // The prover reads the quarantine list at start, so it comes after the webhook.
    const prover = service(
      "prover",
      [
        "--listen",
        `127.0.0.1:${port.prover}`,
        "--circuits",
        circuits,
        "--out",
        join(dir, "proofs"),
        "--verifier",
        url("verifier"),
        // The host Prometheus sees the exporter on, so that the list names this host.
        "--host",
        "127.0.0.1",
        "--quarantine-url",
        `${url("quarantine")}/v1/quarantine`,
        "--quarantine-interval",
        options.quarantineInterval ?? "1s",
        "--on-quarantine",
        "cancel",
        "--backend",
        "cpu",
        "--threads",
        "1",
        "--allow-fault-injection",
      ],
      nvmlEnv,
    );

    const starting: Array<Promise<void>> = [waitHealthy(prover, `${url("prover")}/healthz`)];
    if (existsSync(ALERTMANAGER_BINARY)) {
      progress("starting Alertmanager");
      starting.push(
        startAlertmanager({
          port: port.alertmanager,
          configYaml: alertmanagerConfig(url("quarantine"), tokenFile),
        }).then((running) => {
          alertmanager = running;
        }),
      );
    } else {
      missing.push(
        `Alertmanager (${ALERTMANAGER_BINARY} not found: apt-get install prometheus-alertmanager): alerts fire but quarantine nothing`,
      );
    }
    if (existsSync(PROMETHEUS_BINARY)) {
      progress("starting Prometheus");
      starting.push(
        startPrometheus({
          port: port.prometheus,
          targets: (["exporter", "verifier", "quarantine", "prover"] as const).map(
            (part) => `127.0.0.1:${port[part]}`,
          ),
          scrapeInterval: options.scrapeInterval,
          evaluationInterval: options.evaluationInterval,
          ruleFiles: shippedRuleFiles(root),
          alertmanagers: existsSync(ALERTMANAGER_BINARY) ? [`127.0.0.1:${port.alertmanager}`] : [],
        }).then((running) => {
          prometheus = running;
        }),
      );
    } else {
      missing.push(
        `Prometheus (${PROMETHEUS_BINARY} not found: apt-get install prometheus): no alerts, so nothing is quarantined`,
      );
    }
    const results = await Promise.allSettled(starting);
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    dir,
    urls: {
      exporter: url("exporter"),
      verifier: url("verifier"),
      quarantine: url("quarantine"),
      prover: url("prover"),
      prometheus: prometheus ? url("prometheus") : null,
      alertmanager: alertmanager ? url("alertmanager") : null,
    },
    token,
    tokenFile,
    missing,
    services,
    pids: () => [
      ...services.map((s) => s.pid),
      ...(alertmanager?.pid !== undefined ? [alertmanager.pid] : []),
    ],
    stop,
  };
}

// --- talking to the running suite --------------------------------------------------------

export interface Worker {
  index: number;
  uuid: string;
  quarantined: boolean;
  busy: boolean;
  proved: number;
  failed: number;
  fault: unknown;
}

export async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function workers(suite: Pick<Suite, "urls">): Promise<Worker[]> {
  return (await getJson<{ workers: Worker[] }>(`${suite.urls.prover}/v1/workers`)).workers;
}

/** The prover's fault injection: this GPU's proofs from now on fail verification. */
export async function injectInvalidProofs(suite: Pick<Suite, "urls">, uuid: string): Promise<void> {
  await getJson(`${suite.urls.prover}/v1/admin/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ uuid, fault: "h-bitflip" }),
  });
}

export interface QuarantineList {
  gpus: Array<{ uuid: string; host: string; gpu: string | null; reason: string }>;
  hosts: Array<{ host: string; reason: string }>;
}

export async function quarantineList(suite: Pick<Suite, "urls">): Promise<QuarantineList> {
  return getJson<QuarantineList>(`${suite.urls.quarantine}/v1/quarantine`);
}
