import { readFileSync } from "node:fs";
import { closeServer, type ListenAddress, listen, urlOf } from "../../common/listen.js";
import { createLogger } from "../../common/log.js";
import { createServiceRegistry } from "../../common/metrics.js";
import { type LegacyAuth, type WebFlags, WebSecurity } from "../../common/web/index.js";
import { type ActionsConfig, createActions } from "./actions/index.js";
import { type AutoReleaseOptions, startAutoRelease } from "./autorelease.js";
import { Breaker, type Limits } from "./breaker.js";
import { type InventoryOptions, type InventoryRefresher, startInventory } from "./inventory.js";
import { createMetrics } from "./metrics.js";
import { Outbox } from "./outbox.js";
import { Policy } from "./policy.js";
import { createApp } from "./server.js";
import { QuarantineService } from "./service.js";
import { type InventorySource, Store } from "./store.js";

export type { AutoReleaseOptions } from "./autorelease.js";
export type { Limits } from "./breaker.js";
export type { InventoryOptions } from "./inventory.js";
export * from "./types.js";

export interface QuarantineOptions {
  listen: ListenAddress;
  db: string;
  web: WebFlags;
  /** The flags from before --web.config.file (--token-file, --basic-auth-file, --client-ca),
   * aliases of the same settings in that file. */
  auth: Pick<LegacyAuth, "tokenFile" | "basicAuthFile" | "clientCa">;
  /** --tls-cert and --tls-key: serve HTTPS (with auth.clientCa, client certificates are required). */
  tls: { cert: string; key: string } | null;
  /** GPUs in the fleet; the share limit never counts fewer. 0: only the inventory counts. */
  fleetSize: number;
  /** Lines of `UUID [HOST]`, written by the operator: trusted inventory. */
  knownGpusFile: string | null;
  /** Read the exporters' inventory (proofwatch_gpu_info) from Prometheus. */
  inventory?: InventoryOptions | null;
  limits: Limits;
  dryRun: boolean;
  optOutHosts: readonly string[];
  escalateAfter: number;
  actions: ActionsConfig;
  autoRelease: AutoReleaseOptions | null;
  retryIntervalMs: number;
  actionTimeoutMs: number;
  bodyLimitBytes: number;
}

export interface RunningQuarantine {
  url: string;
  address: ListenAddress;
  close(): Promise<void>;
}

export function readKnownGpus(file: string): Array<{ uuid: string; host: string | null }> {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "")
    .map((line) => {
      const [uuid, host] = line.split(/\s+/);
      return { uuid: uuid as string, host: host ?? null };
    });
}

export async function startQuarantine(options: QuarantineOptions): Promise<RunningQuarantine> {
  const log = createLogger("quarantine");
  if (options.fleetSize <= 0 && !options.knownGpusFile && !options.inventory) {
    throw new Error(
      "the share limit needs a fleet: give --fleet-size, --known-gpus or --inventory-prometheus",
    );
  }
  const actions = createActions(options.actions);
  if (actions.size === 0 && !options.dryRun) {
    throw new Error("no action configured: give --quarantine-file or actions in --config");
  }
  // First, so that a bad web configuration stops the start before anything is opened.
  const security = new WebSecurity({
    service: "quarantine",
    ...options.web,
    legacy: {
      ...options.auth,
      ...(options.tls ? { tlsCert: options.tls.cert, tlsKey: options.tls.key } : {}),
    },
    log,
    // Requests arrive only once listening, when `metrics` is set.
    onRefused: (reason) =>
      metrics.requests.inc({ result: reason === "rate_limited" ? "rate_limited" : "unauthorized" }),
  });

  const store = new Store(options.db);
  const now = Date.now();
  // Only trusted sources count toward the share limit; a source no longer configured stops
  // counting, and the Prometheus inventory kept from the last run counts until it is read.
  const known = options.knownGpusFile ? readKnownGpus(options.knownGpusFile) : null;
  store.transaction(() => {
    if (known) store.replaceInventory("file", known, now);
    else store.forgetInventory("file");
    if (!options.inventory) store.forgetInventory("prometheus");
  });
  let inventory: InventoryRefresher | undefined;
  if (options.inventory) {
    inventory = startInventory(store, options.inventory, log);
    await inventory.refresh();
  }
  const knownGpus = () => Math.max(options.fleetSize, store.inventoryCount());
  const inventorySources: InventorySource[] = [
    ...(known ? (["file"] as const) : []),
    ...(options.inventory ? (["prometheus"] as const) : []),
  ];

  const registry = createServiceRegistry("quarantine");
  const metrics = createMetrics(registry, store, {
    knownGpus,
    dryRun: options.dryRun,
    inventorySources,
    enforcement: actions.get("kubernetes")?.enforcement,
  });
  const breaker = new Breaker(store, options.limits, knownGpus, metrics);
  if (breaker.maxOutOfService() === 0) {
    log.warn("the share limit allows no GPU out of service; raise --max-share or the fleet size", {
      knownGpus: knownGpus(),
      maxShare: options.limits.maxShare,
    });
  }
  const policy = new Policy(
    store,
    breaker,
    {
      actions: [...actions.keys()],
      dryRun: options.dryRun,
      optOutHosts: new Set(options.optOutHosts),
      escalateAfter: options.escalateAfter,
    },
    metrics,
  );
  const outbox = new Outbox(store, actions, metrics, log, {
    actionTimeoutMs: options.actionTimeoutMs,
  });
  const service = new QuarantineService(store, policy, breaker, outbox, metrics, log, {
    dryRun: options.dryRun,
    knownGpus,
  });

  for (const action of actions.values()) await action.init?.(store.fleet());
  // Finish what a crash or a failing backend left: the one place a replay happens.
  const left = store.pendingCount();
  if (left > 0) log.warn("carrying out intents left from before", { pending: left });
  await service.retry().catch((error: unknown) => {
    log.warn("pending actions still failing", { error: (error as Error).message });
  });

  const retryTimer = setInterval(() => {
    if (store.pendingCount() > 0) void service.retry();
  }, options.retryIntervalMs);
  retryTimer.unref();
  const stopAutoRelease = options.autoRelease
    ? startAutoRelease(
        store,
        options.autoRelease,
        async (uuid, reason) => {
          await service.release(uuid, reason, "system");
        },
        log,
      )
    : () => undefined;

  const server = security.createServer(
    createApp(service, security, registry, log, { bodyLimitBytes: options.bodyLimitBytes }),
  );
  const address = await listen(server, options.listen).catch((error: unknown) => {
    security.close();
    throw error;
  });
  const url = urlOf(address, security.scheme);
  log.info("listening", {
    url,
    actions: [...actions.keys()].join(","),
    dryRun: options.dryRun,
    knownGpus: knownGpus(),
    maxOutOfService: breaker.maxOutOfService(),
  });

  return {
    url,
    address,
    close: async () => {
      clearInterval(retryTimer);
      stopAutoRelease();
      await inventory?.stop();
      security.close();
      await closeServer(server);
      await service.idle();
      for (const action of actions.values()) await action.close?.();
      store.close();
    },
  };
}
