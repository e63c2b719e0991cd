// The whole suite on loopback, wired as a deployment would be: fake-nvml GPUs, the exporter,
// the verifier, the quarantine webhook and the prover service as child processes, Prometheus
// with the shipped rules scraping all four, and Alertmanager with the shipped routes sending
// quarantine alerts to the webhook. The demo, the end-to-end test and bench/chain all start it
// here, so that what the test checks and the bench measures is what the demo shows.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../common/package-root.js";
import type { QuarantineList } from "../../contracts/index.js";
import { fakeNvmlLibraryPath } from "../../native/index.js";
import { canarySupported, defaultCanaryBinary } from "../../prover/service/src/canary.js";
import { defaultDaemonBinary } from "../../prover/service/src/index.js";
import {
  ALERTMANAGER_BINARY,
  type RunningAlertmanager,
  startAlertmanager,
} from "./alertmanager.js";
import { bearer, type SuiteCredentials, writeSuiteCredentials } from "./credentials.js";
import { freePort } from "./ports.js";
import { type Service, startService, waitHealthy } from "./processes.js";
import { PROMETHEUS_BINARY, type RunningPrometheus, startPrometheus } from "./prometheus.js";

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

/** The host the suite's prover names in its submissions and the quarantine list names: the
 * one Prometheus sees the exporter on (the alerts' `host` label). */
export const SUITE_HOST = "127.0.0.1";

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
  /** Hosts to give a prover identity of their own (bound to that host alone) besides the
   * suite's prover; their tokens are in `credentials.otherProvers`. No prover runs for them. */
  otherProverHosts?: string[];
  /** The prover's known-answer canary, on the grid emulator (there is no GPU here), with a
   * memory fault injected into the canary of these GPUs (uuids): they take no work. Left off,
   * and listed in `missing`, when the prover binary predates the canary command. */
  canaryFailing?: string[];
  /** Progress lines while starting. */
  onProgress?: (line: string) => void;
}

export interface Suite {
  /** Workspace: logs, databases, credentials, proofs. Removed by `stop`, logs/ kept on request. */
  dir: string;
  urls: Record<Part, string | null>;
  /** This run's identities, tokens and web configuration files (credentials.ts). */
  credentials: SuiteCredentials;
  /** Parts left out and why (Prometheus or Alertmanager not installed). */
  missing: string[];
  services: Service[];
  /** Process ids of every child the suite started (group leaders). */
  pids(): number[];
  /** Stops everything; `keepLogs` leaves DIR/logs (the services' logs) in place. */
  stop(options?: { keepLogs?: boolean }): Promise<void>;
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
  // Checks that `from` is there rather than that the text changed: the quarantine service
  // may well listen on the example's own port, 9842, and then the URL stays as it was.
  const replace = (from: string | RegExp, to: string) => {
    const found = typeof from === "string" ? text.includes(from) : from.test(text);
    if (!found) {
      throw new Error(`alerts/alertmanager.example.yml changed: cannot find ${String(from)}`);
    }
    text = text.replace(from, to);
  };
  replace("http://127.0.0.1:9842/v1/alertmanager", `${quarantineUrl}/v1/alertmanager`);
  replace("/etc/proofwatch/quarantine-webhook.token", tokenFile);
  replace(/( {2}- name: proofwatch-page\n) {4}pagerduty_configs:\n(?: {6,}.*\n)*/, "$1");
  return text;
}

async function ports(given: Partial<Record<Part, number>> = {}): Promise<Record<Part, number>> {
  const chosen = {} as Record<Part, number>;
  const taken = new Set(Object.values(given).filter(Boolean));
  for (const part of PARTS) {
    let port = given[part] || (await freePort());
    // A port freed a moment ago may come back from the next pick.
    while (!given[part] && taken.has(port)) port = await freePort();
    taken.add(port);
    chosen[part] = port;
  }
  return chosen;
}

export async function startSuite(options: SuiteOptions): Promise<Suite> {
  const root = packageRoot();
  const progress = options.onProgress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "proofwatch-suite-"));
  const logs = join(dir, "logs");
  mkdirSync(logs);
  const credentials = writeSuiteCredentials(dir, SUITE_HOST, options.otherProverHosts);
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
  /**
   * Starts `proofwatch <part>` and waits for its /healthz. A port this suite picked itself can
   * be taken between the pick and the bind (another program, or the ephemeral port of some
   * outgoing connection): then it picks another, twice at most. A port given is kept.
   */
  const launch = async (
    part: Part & keyof SuiteCredentials["webConfig"],
    args: () => string[],
    env: NodeJS.ProcessEnv = {},
  ) => {
    await retryOnPortTaken(part, async () => {
      const listen = ["--listen", `127.0.0.1:${port[part]}`];
      const web = ["--web.config.file", credentials.webConfig[part]];
      const started = startService(part, [part, ...listen, ...web, ...args()], {
        env: { PROOFWATCH_LOG_LEVEL: "info", ...env },
        logFile: join(logs, `${part}.log`),
      });
      services.push(started);
      try {
        await waitHealthy(started, `${url(part)}/healthz`);
      } catch (error) {
        await started.stop();
        services.splice(services.indexOf(started), 1);
        throw error;
      }
    });
  };
  const retryOnPortTaken = async (part: Part, start: () => Promise<void>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await start();
      } catch (error) {
        const taken = /EADDRINUSE|address already in use/.test(String(error));
        if (!taken || options.ports?.[part] || attempt >= 3) throw error;
        port[part] = await freePort();
      }
    }
  };
  const stop = async ({ keepLogs = false } = {}) => {
    // Alerts first, so that nothing acts on a service going away; the prover before the
    // verifier so that its last deliveries can land.
    await Promise.allSettled([prometheus?.stop(), alertmanager?.stop()]);
    const order: Part[] = ["prover", "verifier", "quarantine", "exporter"];
    for (const name of order) {
      await Promise.allSettled(services.filter((s) => s.name === name).map((s) => s.stop()));
    }
    if (!keepLogs) return rmSync(dir, { recursive: true, force: true });
    for (const entry of readdirSync(dir)) {
      if (entry !== "logs") rmSync(join(dir, entry), { recursive: true, force: true });
    }
  };

  try {
    progress("starting the exporter, the verifier and the quarantine webhook");
    await Promise.all([
      launch("exporter", () => [], nvmlEnv),
      launch("verifier", () => [
        "--circuits",
        circuits,
        "--db",
        join(dir, "verifier.db"),
        "--workers",
        "1",
        "--provers",
        credentials.proversFile,
      ]),
      launch("quarantine", () => [
        "--db",
        join(dir, "quarantine.db"),
        "--fleet-size",
        String(options.fleetSize ?? 4),
        "--max-share",
        String(options.maxShare ?? 0.5),
        "--quarantine-file",
        join(dir, "quarantine.json"),
      ]),
    ]);

    const canary = options.canaryFailing ? await canaryFlags(options.canaryFailing) : [];
    if (options.canaryFailing && canary.length === 0) {
      missing.push(
        `the GPU canary (${defaultCanaryBinary(defaultDaemonBinary())} has no canary command: npm run build)`,
      );
    }
    progress("starting the prover service");
    // The prover reads the quarantine list at start, so it comes after the webhook.
    const starting: Array<Promise<void>> = [
      launch(
        "prover",
        () => [
          "--circuits",
          circuits,
          "--out",
          join(dir, "proofs"),
          "--verifier",
          url("verifier"),
          "--verifier-token-file",
          credentials.prover.file,
          // The host Prometheus sees the exporter on, so that the list names this host.
          "--host",
          SUITE_HOST,
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
          ...canary,
        ],
        nvmlEnv,
      ),
    ];
    const withAlertmanager = existsSync(ALERTMANAGER_BINARY);
    if (withAlertmanager) {
      progress("starting Alertmanager");
      starting.push(
        retryOnPortTaken("alertmanager", async () => {
          alertmanager = await startAlertmanager({
            port: port.alertmanager,
            configYaml: alertmanagerConfig(url("quarantine"), credentials.alertmanager.file),
          });
        }),
      );
    } else {
      missing.push(
        `Alertmanager (${ALERTMANAGER_BINARY} not found: apt-get install prometheus-alertmanager): alerts fire but quarantine nothing`,
      );
    }
    const withPrometheus = existsSync(PROMETHEUS_BINARY);
    if (!withPrometheus) {
      missing.push(
        `Prometheus (${PROMETHEUS_BINARY} not found: apt-get install prometheus): no alerts, so nothing is quarantined`,
      );
    }
    let results = await Promise.allSettled(starting);
    if (withPrometheus && results.every((result) => result.status === "fulfilled")) {
      // Last: its targets and Alertmanager's address are final only now.
      progress("starting Prometheus");
      results = await Promise.allSettled([
        retryOnPortTaken("prometheus", async () => {
          prometheus = await startPrometheus({
            port: port.prometheus,
            targets: (["exporter", "verifier", "quarantine", "prover"] as const).map(
              (part) => `127.0.0.1:${port[part]}`,
            ),
            scrapeInterval: options.scrapeInterval,
            evaluationInterval: options.evaluationInterval,
            ruleFiles: shippedRuleFiles(root),
            alertmanagers: alertmanager ? [`127.0.0.1:${port.alertmanager}`] : [],
          });
        }),
      ]);
    }
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
    credentials,
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
  /** Why the prover's canary holds the GPU back (`failed`: it gets no work); null: it passed. */
  canary?: "pending" | "running" | "failed" | null;
}

export async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function workers(suite: Pick<Suite, "urls">): Promise<Worker[]> {
  return (await getJson<{ workers: Worker[] }>(`${suite.urls.prover}/v1/workers`)).workers;
}

/** The prover's fault injection (an operator's call): this GPU's proofs from now on fail
 * verification. */
export async function injectInvalidProofs(
  suite: Pick<Suite, "urls" | "credentials">,
  uuid: string,
): Promise<void> {
  await getJson(`${suite.urls.prover}/v1/admin/faults`, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(suite.credentials.operator) },
    body: JSON.stringify({ uuid, fault: "h-bitflip" }),
  });
}

export async function quarantineList(suite: Pick<Suite, "urls">): Promise<QuarantineList> {
  return getJson<QuarantineList>(`${suite.urls.quarantine}/v1/quarantine`);
}

/** The prover's canary flags for the suite: on the emulator, a small memory pass, and a
 * memory fault for each failing GPU; none when the prover cannot run the canary. */
async function canaryFlags(failing: string[]): Promise<string[]> {
  if (!(await canarySupported(defaultCanaryBinary(defaultDaemonBinary())))) return [];
  return [
    "--canary-emulated",
    "--canary-memory-share",
    "0.02",
    ...failing.flatMap((uuid) => ["--canary-fault", `${uuid}=memory`]),
  ];
}
