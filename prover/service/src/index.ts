import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { availableParallelism, hostname } from "node:os";
import { join } from "node:path";
import { closeServer, type ListenAddress, listen, urlOf } from "../../../common/listen.js";
import { createLogger } from "../../../common/log.js";
import { packageRoot, packageVersion } from "../../../common/package-root.js";
import { type WebFlags, WebSecurity } from "../../../common/web/index.js";
import {
  CANARY_DEFAULTS,
  type CanaryConfig,
  CanaryScheduler,
  canarySupported,
  defaultCanaryBinary,
} from "./canary.js";
import { EnergyMeter } from "./energy.js";
import { discoverGpus, type Gpu } from "./gpus.js";
import { createMetrics } from "./metrics.js";
import { QuarantineWatcher } from "./quarantine.js";
import { createApp } from "./server.js";
import { ProverService } from "./service.js";
import { Spool } from "./spool.js";
import { createTracing } from "./tracing.js";
import type { Fault } from "./types.js";
import { VerifierClient } from "./verifier-client.js";
import { VerifierCredentials } from "./verifier-credentials.js";
import { WitnessDir } from "./witness-dir.js";
import { Worker, zkeyPath } from "./workers.js";

export type * from "./types.js";

export interface ProverServiceOptions {
  listen: ListenAddress;
  web: WebFlags;
  /** One folder per circuit: DIR/<circuit>/circuit.zkey. */
  circuitsDir: string;
  spoolDir: string | null;
  outDir: string;
  /** The verifier's base URL; null sends proofs nowhere (--no-verifier). */
  verifierUrl: string | null;
  /** Sent as `Authorization: Bearer <token>` with each delivery; read again when it changes. */
  verifierTokenFile: string | null;
  /** CA to trust for an https verifier (instead of the system's). */
  verifierCaFile: string | null;
  /** Client certificate and key for mutual TLS with the verifier (both or neither). */
  verifierCertFile: string | null;
  verifierKeyFile: string | null;
  /** The only folder `witnessFile` jobs may read from; null refuses such jobs. */
  witnessDir: string | null;
  host: string;
  quarantineFile: string | null;
  quarantineUrl: string | null;
  quarantineIntervalMs: number;
  onQuarantine: "flag" | "cancel";
  maxRetries: number;
  defaultDeadlineMs: number;
  jobTimeoutMs: number;
  backend: "auto" | "cpu" | "cuda";
  /** Threads per daemon; null = the cores shared out among the workers. */
  threads: number | null;
  maxWarm: number;
  /** Workers to run on the CPU when NVML finds no GPU; 0 refuses to start without one. */
  cpuWorkers: number;
  faults: ReadonlyMap<string, Fault>;
  allowFaultInjection: boolean;
  otlpEndpoint: string | null;
  daemonBinary: string;
  trustZkey: boolean;
  bodyLimitBytes: number;
  rescanMs: number;
  keepJobs: number;
  verifierBacklog: number;
  /** The known-answer canary per GPU (canary.ts); what is left out takes CANARY_DEFAULTS. */
  canary?: Partial<CanaryConfig>;
}

export interface RunningProverService {
  url: string;
  address: ListenAddress;
  service: ProverService;
  quarantine: QuarantineWatcher | null;
  close(): Promise<void>;
}

export function defaultDaemonBinary(): string {
  return (
    process.env.PROOFWATCH_PROVER_DAEMON ??
    join(packageRoot(), "prover", "build", "proofwatch-prover-daemon")
  );
}

export function defaultHost(): string {
  return hostname();
}

export async function startProverService(
  options: ProverServiceOptions,
): Promise<RunningProverService> {
  const log = createLogger("prover");
  // Fail at start, not on every job: both are fixed by configuration, not by retrying.
  const circuits = await readdir(options.circuitsDir, { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      throw new Error(`circuits folder ${options.circuitsDir}: ${error.code ?? error.message}`);
    },
  );
  if (!existsSync(options.daemonBinary)) {
    throw new Error(`prover daemon not found at ${options.daemonBinary}; run \`npm run build\``);
  }
  const witnessDir = options.witnessDir ? await WitnessDir.open(options.witnessDir) : null;
  const credentialFiles = {
    tokenFile: options.verifierTokenFile,
    caFile: options.verifierCaFile,
    certFile: options.verifierCertFile,
    keyFile: options.verifierKeyFile,
  };
  if (!options.verifierUrl && Object.values(credentialFiles).some((file) => file !== null)) {
    throw new Error("the --verifier-* credential options need --verifier URL");
  }
  const credentials = options.verifierUrl
    ? await VerifierCredentials.load(credentialFiles, options.verifierUrl, log)
    : null;
  let gpus: Gpu[] = await discoverGpus(log);
  const onGpus = gpus.length > 0;
  if (gpus.length === 0) {
    if (options.cpuWorkers === 0) throw new Error("no GPU found and --cpu-workers is 0");
    gpus = Array.from({ length: options.cpuWorkers }, (_, index) => ({
      index,
      uuid: `CPU-${options.host}-${index}`,
      name: null,
    }));
    log.warn("no GPU: proving on the CPU", { workers: gpus.length });
  }
  for (const uuid of options.faults.keys()) {
    if (!gpus.some((gpu) => gpu.uuid === uuid)) throw new Error(`--inject-fault: no GPU ${uuid}`);
  }
  const threads = options.threads ?? Math.max(1, Math.floor(availableParallelism() / gpus.length));
  const workers = gpus.map(
    (gpu) =>
      new Worker(
        gpu,
        {
          daemonBinary: options.daemonBinary,
          circuitsDir: options.circuitsDir,
          backend: options.backend,
          threads,
          trustZkey: options.trustZkey,
          maxWarm: options.maxWarm,
          jobTimeoutMs: options.jobTimeoutMs,
          startTimeoutMs: options.jobTimeoutMs,
        },
        log,
      ),
  );

  let service: ProverService | undefined;
  let quarantine: QuarantineWatcher | null = null;
  let verifier: VerifierClient | null = null;
  const metrics = createMetrics({
    queued: () => service?.queue.size ?? 0,
    workers: () =>
      workers.map((w) => ({ uuid: w.uuid, busy: w.job !== null, quarantined: w.quarantined })),
    verifierBacklog: () => verifier?.pending ?? 0,
    quarantineReadAt: () => quarantine?.lastReadAt ?? null,
  });
  const tracing = createTracing({ endpoint: options.otlpEndpoint, host: options.host });
  verifier =
    options.verifierUrl && credentials
      ? new VerifierClient(
          {
            url: options.verifierUrl,
            maxBacklog: options.verifierBacklog,
            timeoutMs: 10_000,
            credentials,
            onResult: (result) => metrics.delivery(result),
          },
          log,
        )
      : null;
  if (!verifier) log.warn("no verifier: proofs are not sent anywhere (--no-verifier)");
  const running = new ProverService(workers, metrics, tracing, verifier, log, {
    circuitsDir: options.circuitsDir,
    outDir: options.outDir,
    host: options.host,
    maxRetries: options.maxRetries,
    defaultDeadlineMs: options.defaultDeadlineMs,
    onQuarantine: options.onQuarantine,
    keepJobs: options.keepJobs,
    proverName: `proofwatch-prover-daemon/${packageVersion()}`,
    witnessDir,
  });
  service = running;
  for (const [uuid, fault] of options.faults) running.setFault(uuid, fault);
  const canary = await startCanary(options, onGpus ? workers : [], threads, log, {
    metrics,
    queued: () => running.queue.size,
    dispatch: () => running.dispatch(),
  });
  running.canary = canary;
  // Energy per proof where the workers are GPUs NVML found (not CPU workers).
  const energy = onGpus ? await EnergyMeter.open(log) : null;
  running.energy = energy;

  if (options.quarantineFile || options.quarantineUrl) {
    quarantine = new QuarantineWatcher(
      {
        ...(options.quarantineFile ? { file: options.quarantineFile } : {}),
        ...(options.quarantineUrl ? { url: options.quarantineUrl } : {}),
        intervalMs: options.quarantineIntervalMs,
      },
      (list) => running.setQuarantine(list),
      log,
    );
  }
  const spool = options.spoolDir
    ? new Spool(
        { dir: options.spoolDir, rescanMs: options.rescanMs, maxFileBytes: options.bodyLimitBytes },
        async (request, file) => {
          const reply = await running.submit(request, "spool", file);
          if ("error" in reply.body) return { ok: false, error: reply.body.error };
          return { ok: true };
        },
        log,
      )
    : null;
  running.spool = spool;

  const security = new WebSecurity({
    service: "prover",
    ...options.web,
    log,
    onRefused: (reason) => metrics.httpRefused(reason),
  });
  const server = security.createServer(
    createApp(running, metrics, log, {
      bodyLimitBytes: options.bodyLimitBytes,
      allowFaultInjection: options.allowFaultInjection || options.faults.size > 0,
      guard: security.middleware,
    }),
  );
  const close = async () => {
    security.close();
    quarantine?.close();
    await canary?.close();
    await spool?.close();
    await running.close();
    energy?.close();
    await tracing.shutdown();
  };
  let address: ListenAddress;
  try {
    // The list first: a GPU quarantined before a restart must not get the first jobs.
    await quarantine?.start();
    canary?.start();
    await spool?.start();
    address = await listen(server, options.listen);
  } catch (error) {
    await close();
    throw error;
  }
  const url = urlOf(address, security.scheme);
  log.info("listening", {
    url,
    workers: workers.map((w) => w.uuid).join(","),
    circuits: circuits
      .filter(
        (entry) => entry.isDirectory() && existsSync(zkeyPath(options.circuitsDir, entry.name)),
      )
      .map((entry) => entry.name)
      .join(","),
    threadsPerDaemon: threads,
    verifier: options.verifierUrl ?? "none",
    verifierCredentials: credentials?.describe() ?? "none",
    witnessDir: witnessDir?.root ?? "off",
    quarantine: options.quarantineFile ?? options.quarantineUrl ?? "none",
    spool: options.spoolDir ?? "off",
    traces: tracing.endpoint ?? "not exported",
  });

  return {
    url,
    address,
    service: running,
    quarantine,
    close: async () => {
      await closeServer(server);
      await close();
    },
  };
}

/**
 * The canary runs where proofs use GPU kernels: on GPUs NVML found, unless the backend is
 * `cpu` (or always on the emulator, for tests and demos). Off, with a warning, under `auto`
 * when the prover binary predates the canary command; under `cuda` that refuses to start.
 */
async function startCanary(
  options: ProverServiceOptions,
  workers: readonly Worker[],
  threads: number,
  log: ReturnType<typeof createLogger>,
  hooks: { metrics: ReturnType<typeof createMetrics>; queued(): number; dispatch(): void },
): Promise<CanaryScheduler | null> {
  const config = { ...CANARY_DEFAULTS, ...options.canary };
  for (const uuid of config.faults.keys()) {
    if (!config.emulated) throw new Error("--canary-fault needs --canary-emulated");
    if (!workers.some((worker) => worker.uuid === uuid)) {
      throw new Error(`--canary-fault: no GPU ${uuid}`);
    }
  }
  if (workers.length === 0 || (options.backend === "cpu" && !config.emulated)) return null;
  const binary = config.binary ?? defaultCanaryBinary(options.daemonBinary);
  if (!(await canarySupported(binary))) {
    const why = `${binary} has no canary command (missing or built before it; run \`npm run build\`)`;
    if (options.backend === "cuda" || config.emulated) throw new Error(why);
    log.warn("canary off: GPUs take work unchecked", { reason: why });
    return null;
  }
  log.info("canary on", {
    binary,
    interval: `${config.intervalMs / 1000}s`,
    memoryShare: config.memoryShare,
    emulated: config.emulated,
  });
  return new CanaryScheduler(
    workers,
    { ...config, binary, backend: options.backend === "cuda" ? "cuda" : "auto", threads },
    hooks.metrics,
    log,
    hooks,
  );
}
