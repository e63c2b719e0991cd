import { type AlertsConfig, forWords } from "../alert-config.js";
import type { Row } from "../dashboard.js";
import { timeseries } from "../panels.js";
import { exporter, LEGEND } from "../queries.js";

export function pcieRow(config: AlertsConfig): Row {
  return {
    title: "PCIe",
    panels: [
      timeseries({
        title: "PCIe throughput",
        description: "Bytes sent (tx) and received (rx) per second over PCIe, from a 20 ms sample.",
        unit: "Bps",
        width: 8,
        queries: [
          { expr: exporter.pcieTx, legend: `${LEGEND.gpu} tx` },
          { expr: exporter.pcieRx, legend: `${LEGEND.gpu} rx` },
        ],
      }),
      timeseries({
        title: "PCIe replays",
        description: `Packet replays per second: link errors the hardware recovered from. A sustained rate is a bad riser, slot or cable: ProofwatchGpuPcieReplayRateHigh fires above ${config.thresholds.pcieReplaysPerMinute} a minute for ${forWords(config, "ProofwatchGpuPcieReplayRateHigh")}.`,
        unit: "reqps",
        width: 8,
        queries: [{ expr: exporter.pcieReplays, legend: LEGEND.gpu }],
      }),
      timeseries({
        title: "PCIe link",
        description:
          "Current link generation and width against the most GPU and slot support. A link below its maximum was trained down.",
        width: 8,
        min: 0,
        decimals: 0,
        queries: [
          { expr: exporter.pcieLinkGeneration, legend: `${LEGEND.gpu} gen` },
          { expr: exporter.pcieLinkMaxGeneration, legend: `${LEGEND.gpu} max gen` },
          { expr: exporter.pcieLinkWidth, legend: `${LEGEND.gpu} width` },
          { expr: exporter.pcieLinkMaxWidth, legend: `${LEGEND.gpu} max width` },
        ],
      }),
    ],
  };
}
