// Alerts from the shipped rules (alerts/*.rules.yml) that fire now, as Prometheus sees them.
import type { Row } from "../dashboard.js";
import { table, timeseries } from "../panels.js";
import { alerts } from "../queries.js";

export function alertsRow(): Row {
  return {
    title: "Alerts",
    panels: [
      table({
        title: "Firing alerts",
        description:
          "proofwatch alerts firing now (Prometheus' ALERTS series). Alerts with proofwatch_action=quarantine take their GPU out of service.",
        width: 14,
        labels: ["alertname", "severity", "host", "gpu", "uuid", "xid", "proofwatch_action"],
        queries: [{ header: "Firing", expr: alerts.firing }],
      }),
      timeseries({
        title: "Firing alerts by name",
        description: "How many instances of each proofwatch alert fire, over time.",
        width: 10,
        stack: true,
        decimals: 0,
        queries: [{ expr: alerts.firingByName, legend: "{{alertname}} ({{severity}})" }],
      }),
    ],
  };
}
