import type { Row } from "../dashboard.js";
import { stat, timeseries } from "../panels.js";
import { verifier } from "../queries.js";

export function verdictsRow(): Row {
  return {
    title: "Verdicts",
    panels: [
      timeseries({
        title: "Proofs checked per minute, by result",
        description:
          "Verifier verdicts: valid, invalid (the pairing check failed) and malformed (not a proof for the circuit). Filtered by GPU, not by host: the verifier knows GPUs only by uuid.",
        unit: "short",
        stack: true,
        width: 12,
        queries: [{ expr: verifier.checkedPerMinuteByResult, legend: "{{result}}" }],
      }).overrideByName("invalid", [{ id: "color", value: { mode: "fixed", fixedColor: "red" } }]),
      stat({
        title: "Checked in range, by result",
        description: "Proofs checked in the dashboard's time range, by result.",
        width: 6,
        height: 8,
        thresholds: [],
        decimals: 0,
        query: { expr: verifier.checkedOverRangeByResult, legend: "{{result}}" },
      }),
      stat({
        title: "Bad share",
        description: "Invalid and malformed proofs over all proofs checked, now.",
        unit: "percentunit",
        width: 6,
        height: 8,
        thresholds: [[0.000001, "red"]],
        noValue: "0",
        graph: true,
        query: { expr: verifier.badShare },
      }),
    ],
  };
}
