// Proof throughput per GPU from the prover itself and from what reaches the verifier, bad
// proofs per GPU, and the prover's queue and failures.
import { type AlertsConfig, percent } from "../alert-config.js";
import type { Row } from "../dashboard.js";
import { timeseries } from "../panels.js";
import { LEGEND, prover, verifier } from "../queries.js";

export function proofsRow(config: AlertsConfig): Row {
  const drop = config.thresholds.proverThroughputDropRatio;
  return {
    title: "Proofs",
    panels: [
      timeseries({
        title: "Proofs per minute per GPU",
        description: `Proofs the prover service completed per GPU per minute (result proved). A GPU that stops producing drops to 0 here before any hardware alert; one at under ${drop === 0.5 ? "half" : percent(drop)} of its usual rate while busy fires ProofwatchProverThroughputDropped.`,
        unit: "short",
        queries: [{ expr: prover.provedPerMinutePerGpu, legend: LEGEND.gpu }],
      }),
      timeseries({
        title: "Invalid proofs per minute per GPU",
        description:
          "Proofs the verifier rejected (invalid or malformed) per GPU per minute. With sampling, a GPU's first bad proof puts it on probation: every proof it sends is checked.",
        unit: "short",
        bars: true,
        queries: [{ expr: verifier.invalidPerMinutePerGpu, legend: LEGEND.gpu }],
      }),
      timeseries({
        title: "Proofs reaching the verifier per minute per GPU",
        description:
          "Proofs the verifier received per GPU per minute (checked plus left out by sampling). Below the prover's count when deliveries back up (see the prover's verifier backlog).",
        unit: "short",
        width: 8,
        queries: [{ expr: verifier.proofsPerMinutePerGpu, legend: LEGEND.gpu }],
      }),
      timeseries({
        title: "Prover jobs",
        description:
          "Jobs waiting for a GPU, jobs being proved on the selected GPUs, and proofs waiting to be delivered to the verifier. Jobs queued while none is in flight: work and nobody proving.",
        width: 8,
        min: 0,
        decimals: 0,
        queries: [
          { expr: prover.jobsQueued, legend: "queued" },
          { expr: prover.jobsInFlight, legend: "in flight" },
          { expr: prover.verifierBacklog, legend: "verifier backlog" },
        ],
      }),
      timeseries({
        title: "Prover failed runs per minute by reason",
        description:
          "Failed proof runs by reason (docs/prover-service.md). bad_witness, witness_mismatch and bad_request come with the job; the others are the service's or a GPU's and fire ProofwatchProverErrors above 5% of runs.",
        unit: "short",
        width: 8,
        bars: true,
        queries: [{ expr: prover.failuresPerMinuteByReason, legend: "{{reason}}" }],
      }),
    ],
  };
}
