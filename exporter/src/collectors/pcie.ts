import { gpuCounter, gpuGauge, labelsOf, setIfPresent } from "./per-gpu.js";
import type { CollectorFactory } from "./types.js";

/** NVML's PCIe throughput is in KB/s of 1024 bytes, sampled over its last 20 ms. */
const KIB = 1024;

export const pcie: CollectorFactory = {
  name: "pcie",
  defaultEnabled: true,
  groups: ["pcie"],
  description: "PCIe throughput, replay errors, and current and maximum link generation and width",
  create(families) {
    const tx = gpuGauge(
      families,
      "proofwatch_gpu_pcie_tx_bytes_per_second",
      "PCIe bytes sent by the GPU per second, over NVML's last 20 ms sample.",
    );
    const rx = gpuGauge(
      families,
      "proofwatch_gpu_pcie_rx_bytes_per_second",
      "PCIe bytes received by the GPU per second, over NVML's last 20 ms sample.",
    );
    const replays = gpuCounter(
      families,
      "proofwatch_gpu_pcie_replay_errors_total",
      "PCIe packets the link had to replay after an error.",
    );
    const generation = gpuGauge(
      families,
      "proofwatch_gpu_pcie_link_generation",
      "Current PCIe link generation.",
    );
    const width = gpuGauge(
      families,
      "proofwatch_gpu_pcie_link_width",
      "Current PCIe link width in lanes.",
    );
    const maxGeneration = gpuGauge(
      families,
      "proofwatch_gpu_pcie_link_max_generation",
      "Highest PCIe generation the GPU and the slot support together.",
    );
    const maxWidth = gpuGauge(
      families,
      "proofwatch_gpu_pcie_link_max_width",
      "Widest PCIe link the GPU and the slot support together, in lanes.",
    );
    return {
      collect(readings) {
        for (const { gpu, values } of readings) {
          const labels = labelsOf(gpu);
          setIfPresent(tx, labels, values.get("pcieTxKilobytesPerSecond"), KIB);
          setIfPresent(rx, labels, values.get("pcieRxKilobytesPerSecond"), KIB);
          setIfPresent(replays, labels, values.get("pcieReplayCounter"));
          setIfPresent(generation, labels, values.get("pcieLinkGeneration"));
          setIfPresent(width, labels, values.get("pcieLinkWidth"));
          setIfPresent(maxGeneration, labels, values.get("pcieMaxLinkGeneration"));
          setIfPresent(maxWidth, labels, values.get("pcieMaxLinkWidth"));
        }
      },
    };
  },
};
