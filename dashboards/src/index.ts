// The proofwatch dashboards, for build.ts and the tests.
import { type DashboardSpec, renderDashboard } from "./dashboard.js";
import { fleetOverview } from "./fleet-overview/index.js";
import { gpuDetail } from "./gpu-detail/index.js";
import { proofIntegrity } from "./proof-integrity/index.js";

export const DASHBOARDS: readonly DashboardSpec[] = [fleetOverview, gpuDetail, proofIntegrity];

/** File name (under dashboards/json/) to its JSON text. */
export function renderAll(): Map<string, string> {
  return new Map(DASHBOARDS.map((spec) => [`${spec.file}.json`, renderDashboard(spec)]));
}
