import type { XidEvent } from "../../../native/types.js";
import { gpuCounter } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

interface XidSeries {
  labels: { gpu: string; uuid: string; xid: string };
  count: number;
}

/** XID events arrive between scrapes from NVML's event thread; their counts live here. */
export class XidCounts {
  private readonly series = new Map<string, XidSeries>();

  record(event: XidEvent): void {
    const labels = { gpu: String(event.index), uuid: event.uuid, xid: String(event.xid) };
    const key = `${labels.gpu}/${labels.uuid}/${labels.xid}`;
    const entry = this.series.get(key) ?? { labels, count: 0 };
    entry.count += 1;
    this.series.set(key, entry);
  }

  all(): Iterable<XidSeries> {
    return this.series.values();
  }
}

export const xid: CollectorFactory = {
  name: "xid",
  defaultEnabled: true,
  // Events come from NVML's event set, not from field reads.
  groups: [],
  description: "XID errors the driver reported, counted by code",
  create(families, shared) {
    const errors = gpuCounter(
      families,
      "proofwatch_gpu_xid_errors_total",
      "Critical XID events reported by the driver, by XID code. Kept after a GPU is lost: they tell how it was lost.",
      ["xid"],
    );
    return {
      collect() {
        for (const { labels, count } of shared.xidCounts.all()) errors.set(labels, count);
      },
    };
  },
};
