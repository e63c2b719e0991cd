// Pod attribution: proofwatch_gpu_pod_info from the kubelet's pod-resources API (docs/metrics.md).
import type { Registry } from "prom-client";
import type { Logger } from "../../../common/log.js";
import type { ScrapeFamilies } from "../scrape-families.js";
import { PodResourcesClient } from "./client.js";
import {
  createPodResourcesMetrics,
  type PodResourcesOptions,
  PodResourcesPoller,
} from "./poller.js";

export { DEFAULT_POD_RESOURCES_SOCKET } from "./client.js";
export type { PodResourcesOptions } from "./poller.js";

/** Starts polling the kubelet; the result writes the join series into each scrape. */
export function startPodResources(
  options: PodResourcesOptions,
  context: {
    registry: Registry;
    families: ScrapeFamilies;
    uuidOfIndex: (index: number) => string;
    log: Logger;
  },
): PodResourcesPoller {
  const poller = new PodResourcesPoller(
    options,
    new PodResourcesClient(options.socket),
    context.uuidOfIndex,
    createPodResourcesMetrics(context.registry, context.families),
    context.log,
  );
  poller.start();
  return poller;
}
