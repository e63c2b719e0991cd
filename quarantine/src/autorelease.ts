// Optional auto-release. A resolved alert alone proves nothing (Alertmanager resolves alerts
// whose Prometheus stopped sending them), so a GPU goes back only when every alert that held
// it is resolved, a hold time has passed since, and Prometheus, asked now, both answers and
// reports the GPU up with no quarantine alert firing for it and a known-answer canary passed
// on it since the quarantine began (the prover service keeps checking a quarantined GPU:
// prover/service/src/canary.ts). Only GPUs this service quarantined are in the store, so
// nothing else can be released.
import type { Logger } from "../../common/log.js";
import { queryVector } from "./prometheus.js";
import type { Store } from "./store.js";

export interface AutoReleaseOptions {
  prometheusUrl: string;
  holdMs: number;
  intervalMs: number;
}

const quote = (value: string) => JSON.stringify(value);

/**
 * True only when Prometheus answers every query and they say the GPU is healthy: up, no
 * quarantine alert firing, and a canary that passed after `sinceMs` (the quarantine's start):
 * the GPU's kernels and memory gave the known answers since it was taken out.
 */
export async function gpuHealthy(
  prometheusUrl: string,
  uuid: string,
  sinceMs: number,
): Promise<boolean> {
  const up = await queryVector(prometheusUrl, `proofwatch_gpu_up{uuid=${quote(uuid)}} == 1`);
  const firing = await queryVector(
    prometheusUrl,
    `ALERTS{alertstate="firing",proofwatch_action="quarantine",uuid=${quote(uuid)}}`,
  );
  if (up.length === 0 || firing.length > 0) return false;
  const canary = await queryVector(prometheusUrl, canaryPassedSince(uuid, sinceMs));
  return canary.length > 0;
}

/** The query for a canary passed on the GPU after sinceMs, by any prover that reports it. */
export function canaryPassedSince(uuid: string, sinceMs: number): string {
  return `max by (uuid) (proofwatch_prover_canary_last_success_timestamp_seconds{uuid=${quote(uuid)}}) > ${sinceMs / 1000}`;
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
      const since = new Map(
        store.quarantinedGpus().map((gpu) => [gpu.uuid, Date.parse(gpu.since)]),
      );
      for (const uuid of releasable(store, options.holdMs, Date.now())) {
        try {
          const sinceMs = since.get(uuid);
          if (sinceMs === undefined || Number.isNaN(sinceMs)) continue;
          if (await gpuHealthy(options.prometheusUrl, uuid, sinceMs)) {
            await release(
              uuid,
              "auto-release: alert resolved, hold passed, GPU healthy and its canary passed since the quarantine began",
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
