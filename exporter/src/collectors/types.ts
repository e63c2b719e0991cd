import type { Registry } from "prom-client";
import type { DeviceReading, FieldGroup } from "../../../native/types.js";
import type { GpuIdentity } from "../gpu-source.js";
import type { XidCounts } from "./xid.js";

/** The labels every per-GPU value series carries, and nothing else unbounded. */
export type GpuLabels = {
  gpu: string;
  uuid: string;
};

export interface ScrapeContext {
  readonly driverVersion: string;
  /** GPUs that answered this scrape's identity probe. */
  readonly gpus: readonly GpuIdentity[];
  /** Reads field groups of one GPU under the scrape's deadline. */
  read(gpu: GpuIdentity, groups: readonly FieldGroup[]): Promise<DeviceReading>;
  /** Records that a GPU could not be fully collected this scrape. */
  markFailed(gpu: GpuIdentity, reason: string): void;
  /** Records a field that NVML refused with something other than "not supported". */
  countFieldError(collector: string, code: number): void;
}

export interface Collector {
  /** Fills this collector's metrics for one scrape; metrics were reset before. */
  collect(context: ScrapeContext): Promise<void>;
}

/** State that outlives a scrape, owned by the exporter and handed to collectors. */
export interface SharedState {
  readonly xidCounts: XidCounts;
}

export interface CollectorFactory {
  readonly name: string;
  readonly defaultEnabled: boolean;
  readonly description: string;
  create(registry: Registry, shared: SharedState): Collector;
}
