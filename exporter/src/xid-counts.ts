// XID events arrive between scrapes from NVML's event thread (gpu-source.ts); the exporter
// counts them here and the xid collector reads the counts at each scrape. Kept outside
// collectors/ because it is state the exporter owns and hands to collectors (SharedState),
// not a collector.
import type { XidEvent } from "../../native/types.js";

export interface XidSeries {
  labels: { gpu: string; uuid: string; xid: string };
  count: number;
}

/** Counts of XID events by GPU and code, since the exporter started. */
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
