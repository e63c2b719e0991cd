import { Counter } from "prom-client";
import type { XidEvent } from "../../../native/types.js";
import type { CollectorFactory } from "./types.js";

interface XidSeries {
  gpu: string;
  uuid: string;
  xid: string;
  count: number;
}

/** XID events arrive between scrapes from NVML's event thread; their counts live here. */
export class XidCounts {
  private readonly series = new Map<string, XidSeries>();

  record(event: XidEvent): void {
    const labels = { gpu: String(event.index), uuid: event.uuid, xid: String(event.xid) };
    const key = `${labels.gpu}/${labels.uuid}/${labels.xid}`;
    const entry = this.series.get(key) ?? { ...labels, count: 0 };
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
  create(registry, shared) {
    const errors = new Counter({
      name: "proofwatch_gpu_xid_errors_total",
      help: "Critical XID events reported by the driver, by XID code. Kept after a GPU is lost: they tell how it was lost.",
      labelNames: ["gpu", "uuid", "xid"],
      registers: [registry],
    });
    return {
      collect() {
        for (const { count, ...labels } of shared.xidCounts.all()) errors.inc(labels, count);
      },
    };
  },
};
