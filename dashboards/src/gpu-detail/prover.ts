// What the prover service does on the GPU: its proofs, its jobs, and the time of each phase
// of a proof, which tells a slow GPU (msm, ntt) from a slow host (load, write) or bus
// (witness_to_device).
import type { Row } from "../dashboard.js";
import { timeseries } from "../panels.js";
import { energy, LEGEND, prover } from "../queries.js";

export function proverRow(): Row {
  return {
    title: "Prover",
    panels: [
      timeseries({
        title: "Prover phase times, 90th percentile",
        description:
          "Time per proving phase on the GPU, 90th percentile: zkey_load (once per daemon), load (witness read), witness_to_device (CUDA only), qap, ntt, msm (the five MSMs), finalize, write.",
        unit: "s",
        queries: [{ expr: prover.phaseQuantilePerGpu(0.9), legend: LEGEND.gpuAnd("phase") }],
      }),
      timeseries({
        title: "Prover phase times, mean",
        description:
          "Mean time per proving phase on the GPU. A phase that grows while the others hold points at its cause.",
        unit: "s",
        queries: [{ expr: prover.phaseMeanPerGpu, legend: LEGEND.gpuAnd("phase") }],
      }),
      timeseries({
        title: "Prover runs per minute by result",
        description:
          "Proof runs on the GPU per minute: proved, failed (why: the fleet overview's failures by reason) and cancelled (quarantined under --on-quarantine cancel, or shutdown).",
        unit: "short",
        queries: [{ expr: prover.runsPerMinutePerGpuByResult, legend: LEGEND.gpuAnd("result") }],
      }),
      timeseries({
        title: "Prover jobs in flight",
        description:
          "1 while the prover has a job on the GPU. In flight with utilization at 0 for 10 minutes fires ProofwatchGpuStuck.",
        min: 0,
        max: 1,
        decimals: 0,
        queries: [{ expr: prover.jobsInFlightPerGpu, legend: LEGEND.gpu }],
      }),
      timeseries({
        title: "Energy per proof",
        description:
          "GPU energy per proved job on the GPU, by circuit (proofwatch_prover_energy_joules_total over proofs proved): NVML's energy counter read at each job's start and end. One GPU needing more than its peers for the same circuit is worth a look at its clocks and power.",
        unit: "joule",
        queries: [{ expr: energy.joulesPerProofPerGpu, legend: LEGEND.gpuAnd("circuit") }],
      }),
    ],
  };
}
