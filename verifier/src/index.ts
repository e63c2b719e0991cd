import { closeServer, type ListenAddress, listen, urlOf } from "../../common/listen.js";
import { createLogger } from "../../common/log.js";
import { type WebFlags, WebSecurity } from "../../common/web/index.js";
import { authorizeSpool, loadProvers, type ProverRule } from "./attribution.js";
import { CircuitRegistry } from "./circuits.js";
import { createMetrics } from "./metrics.js";
import { BoundedQueue } from "./queue.js";
import { Sampler } from "./sampling.js";
import { createApp } from "./server.js";
import { VerifierService } from "./service.js";
import { Spool } from "./spool.js";
import { Store } from "./store.js";
import { createVerifierTracing, ProofTraces } from "./tracing.js";
import { type Checker, WorkerPool } from "./workers.js";

export * from "./types.js";
export type { Checker, CheckItem, CheckVerdict } from "./workers.js";

export interface VerifierOptions {
  listen: ListenAddress;
  web: WebFlags;
  /** One folder per circuit, each with a snarkjs verification_key.json. */
  circuitsDir: string;
  /** SQLite database (WAL) holding submissions, verdicts and per-GPU state. */
  db: string;
  /** Folder watched for proofs written as files; null for none. */
  spoolDir: string | null;
  /** The host the spool folder speaks for: a meta.json naming another is refused. Required
   * with `spoolDir` unless `web.insecureNoAuth` (then a meta.json's host is taken as is). */
  spoolHost?: string | null;
  /** `--provers FILE`: which hosts (and GPUs) each prover identity may submit proofs for.
   * Without it an authenticated caller may not submit at all (attribution.ts). */
  proversFile?: string | null;
  workers: number;
  /** Most proofs in one batch (one multi-pairing check). */
  batchMax: number;
  /** Proofs waiting for a worker before new submissions get 429. */
  queueSize: number;
  /** Longest a batch may take before its worker is replaced. */
  batchTimeoutMs: number;
  baseRate: number;
  /** Per-circuit rates from the command line; they win over a folder's verifier.json. */
  circuitRates: ReadonlyMap<string, number>;
  /** Valid proofs in a row that end a GPU's probation. */
  recoverAfter: number;
  bodyLimitBytes: number;
  /** How often the circuits and spool folders are rescanned besides fs.watch. */
  rescanMs: number;
  /** OTLP/HTTP base URL for traces; unset: OTEL_EXPORTER_OTLP_ENDPOINT's, else none. */
  otlpEndpoint?: string | null;
  /** Checks proofs instead of the worker pool (tests that need a slow or failing checker). */
  checker?: Checker;
}

export interface RunningVerifier {
  url: string;
  address: ListenAddress;
  service: VerifierService;
  /** Rescans the circuits folder and re-reads --provers now (SIGHUP). */
  rescan(): Promise<void>;
  close(): Promise<void>;
}

export async function startVerifier(options: VerifierOptions): Promise<RunningVerifier> {
  const log = createLogger("verifier");
  const spoolHost = options.spoolHost ?? null;
  if (options.spoolDir && spoolHost === null && !options.web.insecureNoAuth) {
    throw new Error(
      "--spool needs --spool-host HOST: the host whose provers write into it (a meta.json naming another host is refused)",
    );
  }
  // Read before anything starts: a bad file stops the start with its reason.
  let provers: readonly ProverRule[] | null = options.proversFile
    ? loadProvers(options.proversFile)
    : null;
  const reloadProvers = () => {
    if (!options.proversFile) return;
    try {
      provers = loadProvers(options.proversFile);
      log.info("provers file read", { file: options.proversFile, rules: provers.length });
    } catch (error) {
      log.error("provers file refused; the last good one stays in force", {
        error: (error as Error).message,
      });
    }
  };
  const store = new Store(options.db);
  let checker: Checker | undefined;
  try {
    checker =
      options.checker ??
      (await WorkerPool.start({ size: options.workers, timeoutMs: options.batchTimeoutMs }, log));
  } catch (error) {
    store.close();
    throw error;
  }
  const pool = checker;

  const queue = new BoundedQueue(options.queueSize);
  let service: VerifierService | undefined;
  const registry = new CircuitRegistry(
    {
      dir: options.circuitsDir,
      rescanMs: options.rescanMs,
      prepare: (keyJson) => pool.prepare(keyJson),
      onChange: (changed, removed) => service?.circuitsChanged(changed, removed),
    },
    log,
  );
  const sampler = new Sampler(
    { baseRate: options.baseRate, recoverAfter: options.recoverAfter },
    (circuit) => options.circuitRates.get(circuit) ?? registry.get(circuit)?.sampleRate,
  );
  const metrics = createMetrics({
    queueDepth: () => service?.waiting() ?? 0,
    queueCapacity: () => queue.capacity,
    circuits: () => registry.list().length,
    gpus: () =>
      store.gpuGauges().map((gpu) => ({
        uuid: gpu.uuid,
        samplingRate: sampler.gpuRate(gpu.probation),
        lastInvalidAt: gpu.lastInvalidAt,
      })),
  });
  const tracing = createVerifierTracing(options.otlpEndpoint ?? null);
  const running = new VerifierService(
    store,
    registry,
    sampler,
    queue,
    pool,
    metrics,
    log,
    { batchMax: options.batchMax, maxAttempts: 3 },
    new ProofTraces(tracing, options.queueSize * 2),
  );
  service = running;

  const spool = options.spoolDir
    ? new Spool(
        {
          dir: options.spoolDir,
          rescanMs: options.rescanMs,
          maxFileBytes: options.bodyLimitBytes,
          authorize: (claim) => {
            // Without --spool-host (only under --insecure-no-auth) the folder's claim stands.
            const allowed = authorizeSpool(
              spoolHost ?? claim.host,
              claim,
              provers ?? [],
              store.gpuHost(claim.uuid),
            );
            if (!allowed.ok) metrics.forbidden.inc({ reason: allowed.reason, source: "spool" });
            return allowed;
          },
        },
        (submission) => running.submit(submission),
        log,
      )
    : null;
  const security = new WebSecurity({
    service: "verifier",
    ...options.web,
    log,
    onRefused: (reason) => metrics.httpRefused.inc({ reason }),
  });
  const server = security.createServer(
    createApp(running, metrics, log, {
      bodyLimitBytes: options.bodyLimitBytes,
      guard: security.middleware,
      provers: () => provers,
    }),
  );
  try {
    await registry.start();
    running.recover();
    await spool?.start();
  } catch (error) {
    security.close();
    registry.close();
    await spool?.close();
    await pool.close();
    store.close();
    await tracing.shutdown();
    throw error;
  }
  const address = await listen(server, options.listen);
  const url = urlOf(address, security.scheme);
  log.info("listening", {
    url,
    circuits: registry
      .list()
      .map((c) => c.id)
      .join(","),
    workers: pool.concurrency,
    spool: options.spoolDir ? `${options.spoolDir} (host ${spoolHost ?? "any"})` : "off",
    provers: options.proversFile ?? "none",
    traces: tracing.endpoint ?? "not exported",
  });

  return {
    url,
    address,
    service: running,
    rescan: () => {
      reloadProvers();
      return registry.scan();
    },
    close: async () => {
      security.close();
      await closeServer(server);
      await spool?.close();
      registry.close();
      await running.close();
      await pool.close();
      store.close();
      await tracing.shutdown();
    },
  };
}
