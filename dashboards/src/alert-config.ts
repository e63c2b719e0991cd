// The alert rules' settings as the dashboards show them. Thresholds and the texts that name an
// alert's limit come from the same config as the rules (alerts/src/config.ts), so a panel never
// colours or describes a GPU by one number while the rule fires at another; `npm run dashboards
// -- --config FILE` takes the operator's config as `npm run alerts` does.
import type { AlertsConfig } from "../../alerts/src/index.js";

export {
  type AlertsConfig,
  defaultConfig,
  forWords,
  loadConfig,
  nodePowerBudgetShare,
  percent,
} from "../../alerts/src/index.js";

/** Below the temperature alert, the band in which a GPU shows as warm (orange). */
const WARM_BAND_CELSIUS = 5;

/** Colour steps of a GPU temperature: orange near ProofwatchGpuTemperatureHigh, red from it. */
export function temperatureSteps(config: AlertsConfig): Array<[number, string]> {
  const hot = config.thresholds.gpuTemperatureCelsius;
  return [
    [hot - WARM_BAND_CELSIUS, "orange"],
    [hot, "red"],
  ];
}
