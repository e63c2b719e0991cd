import type { DeviceFields, FieldGroup } from "../../../native/index.js";
import type { GpuIdentity } from "../gpu-source.js";
import type { ScrapeFamilies } from "../scrape-families.js";
import type { XidCounts } from "../xid-counts.js";

/** The labels every per-GPU value series carries, and nothing else unbounded. */
export type GpuLabels = {
  gpu: string;
  uuid: string;
};

/** What one GPU answered this scrape: its identity and the values NVML gave. */
export interface GpuReading {
  gpu: GpuIdentity;
  /** Reused by the next read of this GPU: valid during this scrape's collect() only. */
  values: DeviceFields;
}

export interface ScrapeContext {
  readonly driverVersion: string;
  /** The newest CUDA version the driver supports ("12.4"); "" where NVML cannot tell. */
  readonly cudaDriverVersion: string;
}

export interface Collector {
  /**
   * Fills this collector's metrics from the GPUs that answered this scrape; metrics were
   * reset before. A value NVML did not give leaves its series absent.
   */
  collect(readings: readonly GpuReading[], context: ScrapeContext): void;
}

/** State that outlives a scrape, owned by the exporter and handed to collectors. */
export interface SharedState {
  readonly xidCounts: XidCounts;
}

export interface CollectorFactory {
  readonly name: string;
  readonly defaultEnabled: boolean;
  readonly description: string;
  /** NVML field groups the collector needs; each scrape reads their union once per GPU. */
  readonly groups: readonly FieldGroup[];
  create(families: ScrapeFamilies, shared: SharedState): Collector;
}
