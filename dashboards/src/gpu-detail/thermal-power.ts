import { type AlertsConfig, forWords, temperatureSteps } from "../alert-config.js";
import type { Row } from "../dashboard.js";
import { stat, timeseries } from "../panels.js";
import { exporter, LEGEND } from "../queries.js";

export function thermalPowerRow(config: AlertsConfig): Row {
  return {
    title: "Temperature and power",
    panels: [
      timeseries({
        title: "Temperature",
        description: `GPU die temperature. ProofwatchGpuTemperatureHigh fires above ${config.thresholds.gpuTemperatureCelsius} °C for ${forWords(config, "ProofwatchGpuTemperatureHigh")} (alerts/gpu-thermal-power.rules.yml).`,
        unit: "celsius",
        width: 8,
        thresholds: temperatureSteps(config),
        queries: [{ expr: exporter.temperatureSeries, legend: LEGEND.gpu }],
      }),
      timeseries({
        title: "Fan speed",
        description: "Intended fan speed; no data on passively cooled boards.",
        unit: "percentunit",
        min: 0,
        max: 1,
        width: 8,
        queries: [{ expr: exporter.fanSpeed, legend: LEGEND.gpu }],
      }),
      stat({
        title: "Energy used",
        description: "Energy the selected GPUs drew in the dashboard's time range.",
        unit: "joule",
        width: 8,
        height: 8,
        thresholds: [],
        query: { expr: exporter.energyOverRange, legend: LEGEND.gpu },
      }),
      timeseries({
        title: "Power",
        description:
          "Board power draw (sampled), mean power from the energy counter over each step, and the enforced limit.",
        unit: "watt",
        min: 0,
        width: 24,
        queries: [
          { expr: exporter.power, legend: `${LEGEND.gpu} draw` },
          { expr: exporter.powerFromEnergy, legend: `${LEGEND.gpu} mean (energy)` },
          { expr: exporter.powerLimit, legend: `${LEGEND.gpu} limit` },
        ],
      }).overrideByRegexp(".* limit$", [
        { id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } },
        { id: "custom.fillOpacity", value: 0 },
      ]),
    ],
  };
}
