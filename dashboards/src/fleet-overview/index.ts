import type { AlertsConfig } from "../alert-config.js";
import type { DashboardSpec } from "../dashboard.js";
import { alertsRow } from "./alerts.js";
import { canaryRow } from "./canary.js";
import { healthRow } from "./health.js";
import { powerRow } from "./power.js";
import { proofsRow } from "./proofs.js";

export function fleetOverview(config: AlertsConfig): DashboardSpec {
  return {
    file: "fleet-overview",
    uid: "proofwatch-fleet-overview",
    title: "proofwatch / Fleet overview",
    description:
      "Every GPU's health, its known-answer canary, proof throughput and invalid proofs, driver versions, node power and energy per proof, and the proofwatch alerts firing now.",
    rows: [healthRow(config), canaryRow(), proofsRow(config), powerRow(config), alertsRow()],
  };
}
