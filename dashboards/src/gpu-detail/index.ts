import type { AlertsConfig } from "../alert-config.js";
import type { DashboardSpec } from "../dashboard.js";
import { clocksRow } from "./clocks.js";
import { memoryRow } from "./memory.js";
import { memoryHealthRow } from "./memory-health.js";
import { pcieRow } from "./pcie.js";
import { podsRow } from "./pods.js";
import { proverRow } from "./prover.js";
import { thermalPowerRow } from "./thermal-power.js";
import { utilizationRow } from "./utilization.js";
import { xidRow } from "./xid.js";

export function gpuDetail(config: AlertsConfig): DashboardSpec {
  return {
    file: "gpu-detail",
    uid: "proofwatch-gpu-detail",
    title: "proofwatch / GPU detail",
    description:
      "One GPU (or a few) in depth: utilization, the prover's work on it, memory, temperature and power, clocks and throttling, PCIe, memory health and XIDs.",
    rows: [
      utilizationRow(),
      podsRow(),
      proverRow(),
      memoryRow(),
      thermalPowerRow(config),
      clocksRow(),
      pcieRow(config),
      memoryHealthRow(config),
      xidRow(),
    ],
  };
}
