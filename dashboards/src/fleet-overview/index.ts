import type { DashboardSpec } from "../dashboard.js";
import { alertsRow } from "./alerts.js";
import { healthRow } from "./health.js";
import { proofsRow } from "./proofs.js";

export const fleetOverview: DashboardSpec = {
  file: "fleet-overview",
  uid: "proofwatch-fleet-overview",
  title: "proofwatch / Fleet overview",
  description:
    "Every GPU's health, proof throughput and invalid proofs, and the proofwatch alerts firing now.",
  rows: [healthRow(), proofsRow(), alertsRow()],
};
