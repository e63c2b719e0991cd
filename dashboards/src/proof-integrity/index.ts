import type { AlertsConfig } from "../alert-config.js";
import type { DashboardSpec } from "../dashboard.js";
import { invalidRow } from "./invalid.js";
import { latencyRow } from "./latency.js";
import { quarantineRow } from "./quarantine.js";
import { samplingRow } from "./sampling.js";
import { verdictsRow } from "./verdicts.js";

export function proofIntegrity(config: AlertsConfig): DashboardSpec {
  return {
    file: "proof-integrity",
    uid: "proofwatch-proof-integrity",
    title: "proofwatch / Proof integrity",
    description:
      "What the verifier found in the proofs it re-checked, how fast and how much it samples, and what the quarantine service did about it.",
    rows: [verdictsRow(), invalidRow(), latencyRow(config), samplingRow(), quarantineRow(config)],
  };
}
