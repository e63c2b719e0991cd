// Driver versions in use, node power against its budget, and the energy of a proof by circuit
// and GPU model (from the prover's per-job NVML energy readings).
import { type AlertsConfig, forWords, nodePowerBudgetShare } from "../alert-config.js";
import type { Row } from "../dashboard.js";
import { table, timeseries } from "../panels.js";
import { energy, inventory } from "../queries.js";

export function powerRow(config: AlertsConfig): Row {
  const budget = config.thresholds.nodePowerBudgetWatts;
  const own = Object.keys(config.thresholds.nodePowerBudgetWattsByHost).length;
  const budgets = own > 0 ? `${budget} W, or the node's own (${own} set)` : `${budget} W`;
  return {
    title: "Drivers, power and energy",
    panels: [
      table({
        title: "Driver versions in use",
        description: `GPUs of each model on each NVIDIA driver (proofwatch_gpu_info). A model on two drivers for ${forWords(config, "ProofwatchGpuDriverDrift")} fires ProofwatchGpuDriverDrift on the hosts not on the most common one.`,
        width: 8,
        labels: ["name", "driver_version"],
        queries: [{ header: "GPUs", expr: inventory.gpusByModelAndDriver }],
      }),
      table({
        title: "Hosts by driver and CUDA version",
        description:
          "Hosts on each driver and the newest CUDA version it supports (proofwatch_driver_info). A prover built for a newer CUDA than its host's driver supports cannot start its kernels.",
        width: 8,
        labels: ["driver_version", "cuda_driver_version"],
        queries: [{ header: "Hosts", expr: inventory.hostsByDriver }],
      }),
      table({
        title: "GPU firmware",
        description:
          "GPUs of each model by VBIOS and InfoROM image version (proofwatch_gpu_info); empty where the board or driver does not tell.",
        width: 8,
        labels: ["name", "vbios_version", "inforom_version"],
        queries: [{ header: "GPUs", expr: inventory.gpusByFirmware }],
      }),
      timeseries({
        title: "Node GPU power against its budget",
        description: `The power drawn by each host's GPUs together (proofwatch:node_power_watts:sum) as a share of the node's budget, ${budgets} (thresholds.nodePowerBudgetWatts). Above 100% for ${forWords(config, "ProofwatchNodePowerOverBudget")} fires ProofwatchNodePowerOverBudget.`,
        unit: "percentunit",
        min: 0,
        thresholds: [[1, "red"]],
        queries: [
          {
            expr: nodePowerBudgetShare(config, { matchers: 'instance=~"$host"' }),
            legend: "{{instance}}",
          },
        ],
      }),
      timeseries({
        title: "Node GPU power",
        description:
          "Watts drawn by each host's GPUs together, from NVML's power readings (the sum of proofwatch_gpu_power_watts per host).",
        unit: "watt",
        min: 0,
        queries: [{ expr: energy.nodePower, legend: "{{instance}}" }],
      }),
      table({
        title: "Energy per proof by circuit and GPU model",
        description:
          "Over the dashboard's time range: GPU energy of proved jobs (proofwatch_prover_energy_joules_total, NVML's energy counter read at each job's start and end) per proof, and proofs per kWh, by circuit and GPU model. The whole board's energy: a daemon's first job includes its zkey load.",
        width: 12,
        labels: ["circuit", "name"],
        queries: [
          { header: "Joules per proof", expr: energy.joulesPerProofOverRange, unit: "joule" },
          { header: "Proofs per kWh", expr: energy.proofsPerKwhOverRange, unit: "short" },
        ],
      }),
      timeseries({
        title: "Joules per proof",
        description:
          "GPU energy per proved job over time, by circuit and GPU model: a model or driver that needs more energy for the same circuit shows here first.",
        unit: "joule",
        width: 12,
        queries: [{ expr: energy.joulesPerProof, legend: "{{circuit}} on {{name}}" }],
      }),
    ],
  };
}
