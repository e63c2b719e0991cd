// Proof throughput and bad proofs per GPU, from the verifier until the prover reports its own
// throughput (dashboards/README.md, "Owed").
import type { Row } from "../dashboard.js";
import { timeseries } from "../panels.js";
import { LEGEND, verifier } from "../queries.js";

export function proofsRow(): Row {
  return {
    title: "Proofs",
    panels: [
      timeseries({
        title: "Proofs per minute per GPU",
        description:
          "Proofs the verifier received per GPU per minute (checked plus left out by sampling). A GPU that stops producing drops to 0 here before any hardware alert.",
        unit: "short",
        queries: [{ expr: verifier.proofsPerMinutePerGpu, legend: LEGEND.gpu }],
      }),
      timeseries({
        title: "Invalid proofs per minute per GPU",
        description:
          "Proofs the verifier rejected (invalid or malformed) per GPU per minute. With sampling, a GPU's first bad proof puts it on probation: every proof it sends is checked.",
        unit: "short",
        bars: true,
        queries: [{ expr: verifier.invalidPerMinutePerGpu, legend: LEGEND.gpu }],
      }),
    ],
  };
}
