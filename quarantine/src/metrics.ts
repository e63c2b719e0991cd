import { Counter, Gauge, type Registry } from "prom-client";
import type { InventorySource, Store } from "./store.js";
import type { GpuEnforcement } from "./types.js";

export type RequestResult =
  | "ok"
  | "suppressed"
  | "unauthorized"
  | "rate_limited"
  | "bad_request"
  | "too_large"
  | "unavailable"
  | "error";

export interface QuarantineMetrics {
  requests: Counter<"result">;
  alerts: Counter<"outcome">;
  actions: Counter<"action" | "result">;
  suppressed: Counter<"reason">;
  breakerTrips: Counter<"reason">;
  releases: Counter<"mode">;
  outsideInventory: Counter;
}

/**
 * Counters are bounded by their label values; the per-GPU gauge is bounded by the share
 * limit. Gauges are read from the store at scrape time, so they never drift from it.
 */
export function createMetrics(
  registry: Registry,
  store: Store,
  settings: {
    knownGpus: () => number;
    dryRun: boolean;
    /** The trusted sources that list UUIDs in this configuration. */
    inventorySources: readonly InventorySource[];
    /** The kubernetes action's answer, when it is configured. */
    enforcement?: () => GpuEnforcement;
  },
): QuarantineMetrics {
  new Gauge({
    name: "proofwatch_quarantine_gpus",
    help: "GPUs quarantined one by one (desired state).",
    registers: [registry],
    collect() {
      this.set(store.quarantinedGpus().length);
    },
  });
  new Gauge({
    name: "proofwatch_quarantine_nodes",
    help: "Nodes quarantined as a whole (escalation).",
    registers: [registry],
    collect() {
      this.set(store.quarantinedNodes().length);
    },
  });
  new Gauge({
    name: "proofwatch_quarantine_gpu_quarantined",
    help: "1 for each quarantined GPU.",
    labelNames: ["uuid", "host"],
    registers: [registry],
    collect() {
      this.reset();
      for (const gpu of store.quarantinedGpus()) this.set({ uuid: gpu.uuid, host: gpu.host }, 1);
    },
  });
  new Gauge({
    name: "proofwatch_quarantine_known_gpus",
    help: "GPUs the share limit is computed against.",
    registers: [registry],
    collect() {
      this.set(settings.knownGpus());
    },
  });
  new Gauge({
    name: "proofwatch_quarantine_inventory_gpus",
    help: "GPUs each trusted inventory source lists (file: --known-gpus, prometheus: proofwatch_gpu_info).",
    labelNames: ["source"],
    registers: [registry],
    collect() {
      for (const source of settings.inventorySources) {
        this.set({ source }, store.inventoryCount(source));
      }
    },
  });
  if (settings.inventorySources.includes("prometheus")) {
    new Gauge({
      name: "proofwatch_quarantine_inventory_refresh_timestamp_seconds",
      help: "Unix time the GPU inventory was last read from Prometheus; 0 before the first success.",
      registers: [registry],
      collect() {
        this.set((store.inventoryRefreshedAt("prometheus") ?? 0) / 1000);
      },
    });
  }
  new Gauge({
    name: "proofwatch_quarantine_out_of_service_ratio",
    help: "Share of the known GPUs out of service (quarantined GPUs plus GPUs of quarantined nodes), 0..1.",
    registers: [registry],
    collect() {
      const known = settings.knownGpus();
      this.set(known > 0 ? store.effectiveQuarantinedCount() / known : 0);
    },
  });
  new Gauge({
    name: "proofwatch_quarantine_breaker_open",
    help: "1 while the circuit breaker is open and new quarantines are suppressed; cleared only by a manual reset.",
    registers: [registry],
    collect() {
      this.set(store.breaker().open ? 1 : 0);
    },
  });
  new Gauge({
    name: "proofwatch_quarantine_outbox_pending",
    help: "Actions decided but not yet carried out (a backend is failing while this stays above 0).",
    registers: [registry],
    collect() {
      this.set(store.pendingCount());
    },
  });
  new Gauge({
    name: "proofwatch_quarantine_dry_run",
    help: "1 when the service only records what it would do.",
    registers: [registry],
    collect() {
      this.set(settings.dryRun ? 1 : 0);
    },
  });
  const enforcement = settings.enforcement;
  if (enforcement) {
    new Gauge({
      name: "proofwatch_quarantine_gpu_quarantine_enforced",
      help: "1 when the kubernetes action takes single GPUs out of service (the API server serves DRA DeviceTaintRules), 0 when a quarantined GPU is only named in its node's annotation.",
      registers: [registry],
      collect() {
        this.set(enforcement().perGpu ? 1 : 0);
      },
    });
    new Gauge({
      name: "proofwatch_quarantine_gpus_not_enforced",
      help: "Quarantined GPUs that no DRA device taint keeps from use (no device taints served, or no ResourceSlice lists the GPU).",
      registers: [registry],
      collect() {
        const { enforced } = enforcement();
        this.set(store.quarantinedGpus().filter((gpu) => !enforced.has(gpu.uuid)).length);
      },
    });
  }
  return {
    requests: new Counter({
      name: "proofwatch_quarantine_requests_total",
      help: "Webhook and API requests by result.",
      labelNames: ["result"],
      registers: [registry],
    }),
    alerts: new Counter({
      name: "proofwatch_quarantine_alerts_total",
      help: "Quarantine alerts received, by what was decided.",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    actions: new Counter({
      name: "proofwatch_quarantine_actions_total",
      help: "Backend actions carried out, by action and result (success, failure, permanent_failure).",
      labelNames: ["action", "result"],
      registers: [registry],
    }),
    suppressed: new Counter({
      name: "proofwatch_quarantine_suppressed_total",
      help: "Quarantines not carried out because of a safety limit, by reason.",
      labelNames: ["reason"],
      registers: [registry],
    }),
    breakerTrips: new Counter({
      name: "proofwatch_quarantine_breaker_trips_total",
      help: "Times the circuit breaker opened, by the limit that tripped it.",
      labelNames: ["reason"],
      registers: [registry],
    }),
    releases: new Counter({
      name: "proofwatch_quarantine_releases_total",
      help: "GPUs released, by mode (manual or auto).",
      labelNames: ["mode"],
      registers: [registry],
    }),
    outsideInventory: new Counter({
      name: "proofwatch_quarantine_alerts_outside_inventory_total",
      help: "Firing quarantine alerts evaluated for a GPU the trusted inventory does not list.",
      registers: [registry],
    }),
  };
}
