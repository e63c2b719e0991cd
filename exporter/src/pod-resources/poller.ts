// Which pod uses which GPU, read from the kubelet on an interval of its own and served from
// memory: a scrape never waits on the kubelet, so a missing, slow or hung socket delays no
// scrape (the same discipline as NVML's deadline, exporter/src/deadline.ts). A failed List
// keeps the last good mapping; proofwatch_exporter_pod_resources_last_success_timestamp_seconds
// says how old it is.
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "../../../common/log.js";
import type { Labels, ScrapeFamilies } from "../scrape-families.js";
import { type PodResourcesClient, PodResourcesError, type PodResourcesList } from "./client.js";
import {
  type GpuRef,
  isNvidiaResource,
  refOfClaimDevice,
  refOfPluginDevice,
} from "./device-ids.js";
import { NVIDIA_PROC_GPUS, readMinorNumbers } from "./minor-numbers.js";

export interface PodResourcesOptions {
  /** The kubelet's pod-resources socket. */
  socket: string;
  /** Time between the end of one List and the start of the next, in milliseconds. */
  intervalMs: number;
  /** Where the driver lists each GPU's minor number (tests point it elsewhere). */
  nvidiaProcGpus?: string;
}

/** Each List's own deadline: the interval, up to this, so that calls never overlap. */
const MAX_CALL_MS = 10_000;

export function createPodResourcesMetrics(registry: Registry, families: ScrapeFamilies) {
  const requests = new Counter({
    name: "proofwatch_exporter_pod_resources_requests_total",
    help: "List calls to the kubelet's pod-resources API, by result (success, failure: no socket, an error or no answer before the call's deadline).",
    labelNames: ["result"],
    registers: [registry],
  });
  // Both series from the start, so that rate() sees the first failure.
  requests.inc({ result: "success" }, 0);
  requests.inc({ result: "failure" }, 0);
  return {
    requests,
    lastSuccess: new Gauge({
      name: "proofwatch_exporter_pod_resources_last_success_timestamp_seconds",
      help: "When List last succeeded (Unix time); 0 until it has. proofwatch_gpu_pod_info is as old as this.",
      registers: [registry],
    }),
    unresolved: new Gauge({
      name: "proofwatch_exporter_pod_resources_unresolved_devices",
      help: "NVIDIA devices in the last good List that name no GPU this exporter can place (MIG instance UUIDs, unknown id forms); they are left out of proofwatch_gpu_pod_info.",
      registers: [registry],
    }),
    podInfo: families.add(
      "proofwatch_gpu_pod_info",
      "The GPU with this UUID is assigned to this pod's container by the kubelet (device plugin or DRA claim); always 1. Join on uuid.",
      "gauge",
      ["uuid", "namespace", "pod", "container"],
    ),
  };
}

export type PodResourcesMetrics = ReturnType<typeof createPodResourcesMetrics>;

/** One container's use of one device, before its GPU is known. */
interface Assignment {
  ref: GpuRef;
  namespace: string;
  pod: string;
  container: string;
}

/** Every NVIDIA device each container holds, from device plugins and from DRA claims. */
export function assignmentsOf(list: PodResourcesList): Assignment[] {
  const assignments: Assignment[] = [];
  for (const { name: pod, namespace, containers } of list.podResources) {
    for (const { name: container, devices, dynamicResources } of containers) {
      const add = (ref: GpuRef) => assignments.push({ ref, namespace, pod, container });
      for (const { resourceName, deviceIds } of devices) {
        if (!isNvidiaResource(resourceName)) continue;
        for (const id of deviceIds) add(refOfPluginDevice(id));
      }
      for (const { claimResources } of dynamicResources) {
        for (const claimed of claimResources) {
          const ref = refOfClaimDevice({
            driverName: claimed.driverName,
            deviceName: claimed.deviceName,
            cdiDevices: claimed.cdiDevices.map((cdi) => cdi.name),
          });
          if (ref !== undefined) add(ref);
        }
      }
    }
  }
  return assignments;
}

export class PodResourcesPoller {
  /** The join series of the last good List, served by every scrape until the next one. */
  private series: readonly Labels[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The kind of the last failure, so that a socket that stays down is logged once. */
  private failing: string | undefined;
  private readonly intervalMs: number;
  private readonly callMs: number;
  private readonly procGpus: string;

  constructor(
    options: PodResourcesOptions,
    private readonly client: PodResourcesClient,
    /** NVML's index -> UUID, "" while unknown (GpuSource.uuidOf). */
    private readonly uuidOfIndex: (index: number) => string,
    private readonly metrics: PodResourcesMetrics,
    private readonly log: Logger,
  ) {
    this.intervalMs = options.intervalMs;
    this.callMs = Math.min(options.intervalMs, MAX_CALL_MS);
    this.procGpus = options.nvidiaProcGpus ?? NVIDIA_PROC_GPUS;
  }

  /** The first List now, then one per interval; never rejects. */
  start(): void {
    void this.poll();
  }

  /** Writes the last good mapping into this scrape: no I/O, nothing to wait for. */
  collect(): void {
    for (const labels of this.series) this.metrics.podInfo.set(labels, 1);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.client.close();
  }

  private async poll(): Promise<void> {
    try {
      const list = await this.client.list(this.callMs);
      if (this.closed) return;
      await this.update(assignmentsOf(list));
      this.metrics.requests.inc({ result: "success" });
      this.metrics.lastSuccess.set(Date.now() / 1000);
      if (this.failing !== undefined) this.log.info("pod-resources List answers again");
      this.failing = undefined;
    } catch (error) {
      if (this.closed) return;
      this.metrics.requests.inc({ result: "failure" });
      // Not a gRPC answer: the .proto missing from an install, a folder the driver's files
      // could not be listed from; by message, which says which.
      const kind = error instanceof PodResourcesError ? error.kind : (error as Error).message;
      if (kind !== this.failing) {
        this.log.warn("pod-resources List failed; serving the last good pod mapping", {
          error: (error as Error).message,
        });
      }
      this.failing = kind;
    }
    if (this.closed) return;
    this.timer = setTimeout(() => void this.poll(), this.intervalMs);
    // The exporter's server keeps the process up; this timer alone should not.
    this.timer.unref();
  }

  private async update(assignments: readonly Assignment[]): Promise<void> {
    const byMinor = assignments.some(({ ref }) => ref.kind === "minor")
      ? await readMinorNumbers(this.procGpus)
      : new Map<number, string>();
    const seen = new Set<string>();
    const series: Labels[] = [];
    let unresolved = 0;
    for (const { ref, namespace, pod, container } of assignments) {
      const uuid = this.uuidOf(ref, byMinor);
      if (uuid === undefined) {
        unresolved += 1;
        continue;
      }
      // Replicas of one shared GPU given to one container make one series.
      const key = `${uuid}\0${namespace}\0${pod}\0${container}`;
      if (seen.has(key)) continue;
      seen.add(key);
      series.push({ uuid, namespace, pod, container });
    }
    this.series = series;
    this.metrics.unresolved.set(unresolved);
  }

  private uuidOf(ref: GpuRef, byMinor: ReadonlyMap<number, string>): string | undefined {
    switch (ref.kind) {
      case "uuid":
        return ref.uuid;
      case "index":
        return this.uuidOfIndex(ref.index) || undefined;
      case "minor":
        return byMinor.get(ref.minor);
      case "unknown":
        return undefined;
    }
  }
}
