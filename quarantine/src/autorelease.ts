// Optional auto-release. A resolved alert alone proves nothing (Alertmanager resolves alerts
// whose Prometheus stopped sending them), so a GPU goes back only when every alert that held
// it is resolved, a hold time has passed since, and Prometheus, asked now, both answers and
// reports the GPU up with no quarantine alert firing for it. Only GPUs this service
// quarantined are in the store, so nothing else can be released.
import type { Logger } from "../../common/log.js";
import { queryVector } from "./prometheus.js";
import type { Store } from "./store.js";

export interface AutoReleaseOptions {
  prometheusUrl: string;
  holdMs: number;
  intervalMs: number;
}

const quote = (value: string) => JSON.stringify(value);

/** True only when Prometheus answers both queries and they say the GPU is healthy. */
export async function gpuHealthy(prometheusUrl: string, uuid: string): Promise<boolean> {
  const up = await queryVector(prometheusUrl, `proofwatch_gpu_up{uuid=${quote(uuid)}} == 1`);
  const firing = await queryVector(
    prometheusUrl,
    `ALERTS{alertstate="firing",proofwatch_action="quarantine",uuid=${quote(uuid)}}`,
  );
  return up.length > 0 && firing.length === 0;
}

export function releasable(store: Store, holdMs: number, now: number): string[] {
  return store
    .quarantinedAlertKeys()
    .filter(({ uuid }) => {
      if (store.activeInstances(uuid) > 0) return false;
      const resolvedAt = store.lastResolution(uuid);
      return resolvedAt !== null && now - resolvedAt >= holdMs;
    })
    .map(({ uuid }) => uuid);
}

export function startAutoRelease(
  store: Store,
  options: AutoReleaseOptions,
  release: (uuid: string, reason: string) => Promise<void>,
  log: Logger,
): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      for (const uuid of releasable(store, options.holdMs, Date.now())) {
        try {
          if (await gpuHealthy(options.prometheusUrl, uuid)) {
            await release(
              uuid,
              "auto-release: alert resolved, hold passed, GPU healthy in Prometheus",
            );
          }
        } catch (error) {
          log.warn("auto-release health check failed; keeping the GPU out", {
            uuid,
            error: (error as Error).message,
          });
        }
      }
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
