import type { Row } from "../dashboard.js";
import { table, timeseries } from "../panels.js";
import { LEGEND, verifier } from "../queries.js";

export function invalidRow(): Row {
  return {
    title: "Invalid proofs by GPU",
    panels: [
      timeseries({
        title: "Invalid proofs per minute per GPU",
        description:
          "Invalid and malformed proofs per GPU. A GPU whose proofs turn bad while its hardware looks healthy still needs to leave service.",
        unit: "short",
        bars: true,
        width: 14,
        queries: [{ expr: verifier.invalidPerMinutePerGpu, legend: LEGEND.gpu }],
      }),
      table({
        title: "Last invalid proof",
        description:
          "Time since each GPU's last invalid or malformed proof, and how many in range.",
        width: 10,
        labels: ["instance", "gpu", "uuid"],
        queries: [
          { header: "Since last invalid", expr: verifier.secondsSinceInvalid, unit: "s" },
          {
            header: "Invalid in range",
            expr: verifier.invalidOverRangePerGpu,
            thresholds: [[1, "red"]],
          },
        ],
      }),
    ],
  };
}
