// `proofwatch demo`: the whole suite on one machine without GPUs (suite.ts), playing a story
// in about two minutes. fake-nvml shows 4 GPUs; GPU 2's memory degrades (ECC errors, then an
// XID 48: demo/scenario.json), GPU 1 starts making invalid proofs (the prover's fault
// injection) and GPU 3 fails the prover's known-answer canary at start (a memory fault on the
// emulator), so it never makes a proof. Prometheus fires the shipped alerts, Alertmanager
// sends them to the quarantine webhook, the prover moves the work to the healthy GPU, and
// output.ts shows it.
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  asUsage,
  HELP_FLAGS,
  HELP_USAGE,
  helpOrVersion,
  versionText,
} from "../../common/command.js";
import { parseDuration } from "../../common/duration.js";
import { createLogger } from "../../common/log.js";
import { packageRoot } from "../../common/package-root.js";
import { type Feeder, startFeeder } from "./feeder.js";
import { DemoOutput } from "./output.js";
import {
  DEFAULT_PORTS,
  injectInvalidProofs,
  PARTS,
  type Part,
  type Suite,
  startSuite,
  workers,
} from "./suite.js";
import { FleetWatcher } from "./view.js";

export const USAGE = `Usage: proofwatch demo [options]

Starts the whole suite on loopback: fake-nvml with 4 GPUs, the exporter, the prover service
(CPU backend, the small circuit in demo/circuits), the verifier, the quarantine webhook, and
Prometheus and Alertmanager with the shipped rules and routes when they are installed. A job
feeder keeps the prover busy. GPU 2's memory degrades (ECC errors from about 35 s, XID 48 at
45 s) and GPU 1 starts making invalid proofs at 20 s: both end quarantined and their work
moves to the others. GPU 3 fails the known-answer canary the prover runs before giving a GPU
work (a memory fault injected on the emulator): it never proves, and its alert quarantines
it about 2 minutes in. On a terminal a live table shows each GPU; elsewhere (a pipe, a file)
one line per change: a quarantine, an alert, a verdict. Ctrl-C stops everything; the
services' logs are kept, and their folder printed at exit.

Options:
  --exporter-port PORT      default 9840 (0: any free port; the same for each port option)
  --verifier-port PORT      default 9841
  --quarantine-port PORT    default 9842
  --prover-port PORT        default 9843
  --prometheus-port PORT    default 9090
  --alertmanager-port PORT  default 9093
  --interval DURATION       Prometheus scrape and evaluation interval (default 5s)
  --jobs-per-second N       proof jobs submitted a second (default 4)
  --invalid-proofs-at DURATION
                            when GPU 1 starts making invalid proofs (default 20s)
  --duration DURATION       stop by itself after this long (default: run until Ctrl-C)
${HELP_USAGE}`;

const log = createLogger("demo");

/** The GPU whose proofs go bad (the prover's fault injection); GPU 2's hardware fails. */
const INVALID_PROOF_GPU = 1;
/** The GPU whose canary fails at start (demo/scenario.json names its uuid). */
const CANARY_FAILING_GPU = { index: 3, uuid: "GPU-5eed0003-0000-4000-8000-000000000003" };

function portOptions() {
  return Object.fromEntries(
    PARTS.map((part) => [`${part}-port`, { type: "string", default: String(DEFAULT_PORTS[part]) }]),
  ) as Record<`${Part}-port`, { type: "string"; default: string }>;
}

/**
 * Prometheus' alerts page: `/alerts`, or `/classic/alerts` in Debian's package, which ships
 * only the classic UI (the React one is not packaged).
 */
async function alertsPage(prometheusUrl: string): Promise<string> {
  for (const path of ["/alerts", "/classic/alerts"]) {
    const ok = await fetch(`${prometheusUrl}${path}`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return `${prometheusUrl}${path}`;
  }
  return `${prometheusUrl}/api/v1/alerts`;
}

function parseDemoArgs(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...portOptions(),
      interval: { type: "string", default: "5s" },
      "jobs-per-second": { type: "string", default: "4" },
      "invalid-proofs-at": { type: "string", default: "20s" },
      duration: { type: "string" },
      ...HELP_FLAGS,
    },
  });
  const ports = Object.fromEntries(
    PARTS.map((part) => [part, Number(values[`${part}-port`])]),
  ) as Record<Part, number>;
  const durationMs = values.duration ? parseDuration(values.duration) : undefined;
  const invalidAtMs = parseDuration(values["invalid-proofs-at"]);
  const jobsPerSecond = Number(values["jobs-per-second"]);
  if (!(jobsPerSecond > 0)) throw new Error("--jobs-per-second must be a positive number");
  return { values, ports, durationMs, invalidAtMs, jobsPerSecond };
}

export async function runDemo(argv: string[]): Promise<void> {
  const early = helpOrVersion(argv);
  if (early) {
    process.stdout.write(early === "help" ? USAGE : versionText("demo"));
    return;
  }
  const { values, ports, durationMs, invalidAtMs, jobsPerSecond } = asUsage(() =>
    parseDemoArgs(argv),
  );

  // Ctrl-C at any time, also while starting, ends in the same clean stop.
  let stopRequested: () => void = () => {};
  const stopping = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const onSignal = () => {
    process.stdout.write("\nstopping…\n");
    stopRequested();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const root = packageRoot();
  let suite: Suite | undefined;
  let feeder: Feeder | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    const starting = startSuite({
      scenario: join(root, "demo/scenario.json"),
      ports,
      scrapeInterval: values.interval,
      evaluationInterval: values.interval,
      canaryFailing: [CANARY_FAILING_GPU.uuid],
      // Three GPUs end out of service here (the canary's, the invalid proofs', the ECC's).
      maxShare: 0.75,
      onProgress: (line) => process.stdout.write(`${line}…\n`),
    });
    suite = await Promise.race([starting, stopping.then(() => undefined)]);
    if (!suite) {
      // Stopped while starting: wait for what was started, to stop it (finally, below).
      suite = await starting;
      return;
    }
    const running = suite;
    const started = Date.now();
    const prometheusPage = running.urls.prometheus
      ? await alertsPage(running.urls.prometheus)
      : "not running";
    const addresses = [
      "proofwatch demo is running (all on loopback):",
      `  exporter      ${running.urls.exporter}/metrics`,
      `  verifier      ${running.urls.verifier}/v1/gpus`,
      `  quarantine    ${running.urls.quarantine}/v1/quarantine`,
      `  prover        ${running.urls.prover}/v1/workers`,
      `  prometheus    ${prometheusPage}`,
      `  alertmanager  ${running.urls.alertmanager ? `${running.urls.alertmanager}/#/alerts` : "not running"}`,
      `  logs          ${join(running.dir, "logs")}`,
      `  credentials   ${running.credentials.dir} (this run's tokens; yours: operator.token)`,
      ...running.missing.map((line) => `  without ${line}`),
    ];
    process.stdout.write(`${addresses.join("\n")}\n\n`);

    feeder = startFeeder(running, jobsPerSecond);
    const output = new DemoOutput(process.stdout, addresses, started);
    timers.push(
      setTimeout(() => {
        workers(running)
          .then(async (list) => {
            const worker = list.find((w) => w.index === INVALID_PROOF_GPU) ?? list[1];
            if (!worker) throw new Error("the prover has fewer than 2 GPUs");
            await injectInvalidProofs(running, worker.uuid);
            output.tell(
              `GPU ${worker.index} starts making invalid proofs (fault injected in the prover)`,
            );
          })
          .catch((error: unknown) => log.warn("fault injection failed", { error: String(error) }));
      }, invalidAtMs),
    );

    // The canary's story is told once the prover has held the GPU back.
    const canaryTold = setInterval(() => {
      workers(running)
        .then((list) => {
          const worker = list.find((w) => w.uuid === CANARY_FAILING_GPU.uuid);
          if (worker?.canary !== "failed") return;
          clearInterval(canaryTold);
          output.tell(
            `GPU ${worker.index} failed its known-answer canary (memory): the prover gives it no work, so it makes no proof`,
          );
        })
        .catch((error: unknown) => log.warn("canary check failed", { error: String(error) }));
    }, 2000);
    timers.push(canaryTold);

    const watcher = new FleetWatcher(running);
    const refresh = async () => output.show(await watcher.read());
    let refreshing = false;
    timers.push(
      setInterval(() => {
        if (refreshing) return;
        refreshing = true;
        refresh()
          .catch((error: unknown) => log.warn("refresh failed", { error: String(error) }))
          .finally(() => {
            refreshing = false;
          });
      }, 2000),
    );
    if (durationMs !== undefined) timers.push(setTimeout(stopRequested, durationMs));
    await stopping;
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await feeder?.stop();
    // The services' logs outlive the run: what happened stays readable after it (issue 17).
    await suite?.stop({ keepLogs: true });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (suite) {
      process.stdout.write(
        `proofwatch demo stopped; nothing left running. Logs kept in ${join(suite.dir, "logs")}\n`,
      );
    }
  }
}
