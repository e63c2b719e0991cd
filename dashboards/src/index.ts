// The proofwatch dashboards, for build.ts and the tests.
import { type AlertsConfig, defaultConfig } from "./alert-config.js";
import { type DashboardSpec, renderDashboard } from "./dashboard.js";
import { fleetOverview } from "./fleet-overview/index.js";
import { gpuDetail } from "./gpu-detail/index.js";
import { proofIntegrity } from "./proof-integrity/index.js";

/**
 * Every dashboard, with the alert thresholds and texts of `config` (the committed JSON uses the
 * defaults, as the committed rules do).
 */
export function dashboards(config: AlertsConfig = defaultConfig): DashboardSpec[] {
  return [fleetOverview(config), gpuDetail(config), proofIntegrity(config)];
}

/** File name (under dashboards/json/) to its JSON text. */
export function renderAll(config: AlertsConfig = defaultConfig): Map<string, string> {
  return new Map(dashboards(config).map((spec) => [`${spec.file}.json`, renderDashboard(spec)]));
}
