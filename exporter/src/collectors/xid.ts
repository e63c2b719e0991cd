import { gpuCounter } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

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
