import type { DashboardSpec } from "../dashboard.js";
import { clocksRow } from "./clocks.js";
import { memoryRow } from "./memory.js";
import { memoryHealthRow } from "./memory-health.js";
import { pcieRow } from "./pcie.js";
import { thermalPowerRow } from "./thermal-power.js";
import { utilizationRow } from "./utilization.js";
import { xidRow } from "./xid.js";

// The prover's phase times belong here once the prover exports them (dashboards/README.md).
export const gpuDetail: DashboardSpec = {
  file: "gpu-detail",
  uid: "proofwatch-gpu-detail",
  title: "proofwatch / GPU detail",
  description:
    "One GPU (or a few) in depth: utilization, memory, temperature and power, clocks and throttling, PCIe, memory health and XIDs.",
  rows: [
    utilizationRow(),
    memoryRow(),
    thermalPowerRow(),
    clocksRow(),
    pcieRow(),
    memoryHealthRow(),
    xidRow(),
  ],
};
