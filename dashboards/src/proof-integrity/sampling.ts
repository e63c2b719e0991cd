import type { Row } from "../dashboard.js";
import { stat, timeseries } from "../panels.js";
import { LEGEND, verifier } from "../queries.js";

export function samplingRow(): Row {
  return {
    title: "Sampling",
    panels: [
      timeseries({
        title: "Sampling rate per GPU",
        description:
          "Share of each GPU's proofs the verifier checks now: the base rate, or 1 while the GPU is on probation after a bad proof.",
        unit: "percentunit",
        min: 0,
        max: 1,
        width: 16,
        queries: [{ expr: verifier.samplingRatePerGpu, legend: LEGEND.gpu }],
      }),
      stat({
        title: "Share of proofs checked",
        description: "Proofs checked over proofs stored: what sampling actually did, now.",
        unit: "percentunit",
        width: 8,
        height: 8,
        thresholds: [],
        graph: true,
        query: { expr: verifier.checkedShare },
      }),
    ],
  };
}
