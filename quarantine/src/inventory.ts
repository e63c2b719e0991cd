// The GPUs the share limit is computed against come only from trusted inventory: the
// operator's --fleet-size and --known-gpus file, and the exporters' own proofwatch_gpu_info
// series read from Prometheus. A UUID named only in an alert is a claim, not a GPU: counting
// it let a burst of alerts for made-up UUIDs widen a 16-GPU fleet's limit from 4 to 54.
import type { Logger } from "../../common/log.js";
import { HOST, hostOfInstance, UUID } from "./payload.js";
import { queryVector } from "./prometheus.js";
import type { Store } from "./store.js";

export interface InventoryOptions {
  /** Prometheus that scrapes the exporters. */
  prometheusUrl: string;
  intervalMs: number;
  /**
   * How long a GPU still counts after its series was last scraped: a node whose exporter is
   * down (often the node with the fault) stays part of the fleet for that long.
   */
  lookbackMs: number;
}

/** One series per GPU and target; `host` is empty unless relabelling adds it. */
export function inventoryQuery(lookbackMs: number): string {
  const seconds = Math.max(1, Math.round(lookbackMs / 1000));
  return `group by (uuid, host, instance) (last_over_time(proofwatch_gpu_info[${seconds}s]))`;
}

/**
 * The GPUs Prometheus' exporters report, each UUID once. The host is found as for alerts
 * (the `host` label, else the host part of `instance`), so escalation counts the same GPUs.
 */
export async function readPrometheusInventory(
  prometheusUrl: string,
  lookbackMs: number,
): Promise<Array<{ uuid: string; host: string | null }>> {
  const gpus = new Map<string, string | null>();
  for (const { metric } of await queryVector(prometheusUrl, inventoryQuery(lookbackMs))) {
    const uuid = metric.uuid ?? "";
    if (!UUID.test(uuid)) continue;
    const host = metric.host || hostOfInstance(metric.instance ?? "");
    gpus.set(uuid, HOST.test(host) ? host : (gpus.get(uuid) ?? null));
  }
  return [...gpus].map(([uuid, host]) => ({ uuid, host }));
}

export interface InventoryRefresher {
  /** Reads Prometheus once; on failure the last good inventory stays in the store. */
  refresh(): Promise<void>;
  /** Stops the timer and waits for a read in flight (so the store can be closed after). */
  stop(): Promise<void>;
}

/** Reads the inventory now and then every `intervalMs`. */
export function startInventory(
  store: Store,
  options: InventoryOptions,
  log: Logger,
): InventoryRefresher {
  let running: Promise<void> | undefined;
  const read = async () => {
    const before = store.inventoryCount("prometheus");
    let gpus: Array<{ uuid: string; host: string | null }>;
    try {
      gpus = await readPrometheusInventory(options.prometheusUrl, options.lookbackMs);
    } catch (error) {
      const refreshedAt = store.inventoryRefreshedAt("prometheus");
      log.warn("GPU inventory: Prometheus did not answer; keeping the last good count", {
        gpus: before,
        lastGood: refreshedAt === null ? "never" : new Date(refreshedAt).toISOString(),
        error: (error as Error).message,
      });
      return;
    }
    store.transaction(() => store.replaceInventory("prometheus", gpus, Date.now()));
    if (gpus.length === 0) {
      // Taken as it is: a lower count only tightens the limit.
      log.warn("GPU inventory: Prometheus reports no proofwatch_gpu_info series", { before });
    } else if (gpus.length !== before) {
      log.info("GPU inventory from Prometheus changed", { before, gpus: gpus.length });
    }
  };
  const refresh = () => {
    running ??= read().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    refresh().catch((error: unknown) => {
      log.warn("GPU inventory: could not store the answer", { error: (error as Error).message });
    });
  }, options.intervalMs);
  timer.unref();
  return {
    refresh,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
