// The variables every proofwatch dashboard has: a Prometheus datasource, then hosts and GPUs
// read from the exporter's series. "All" is `.*` rather than Grafana's list of every value,
// so it also matches series without the label (fleet-wide verifier and quarantine series,
// alerts about an exporter rather than a GPU) and keeps queries short on large fleets.
import {
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { exporter } from "./queries.js";

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, for Grafana to expand.
export const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

const ALL = { text: "All", value: "$__all", selected: true };

/** A multi-select over label values; "All" is `.*`, as above. */
function labelVariable(name: string, label: string, description: string, query: string) {
  return new QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".*")
    .current(ALL);
}

export function variables() {
  return [
    new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"),
    labelVariable("host", "Host", "Exporter scrape targets (instance label)", exporter.hosts),
    labelVariable("gpu", "GPU", "GPU UUIDs on the selected hosts", exporter.gpus),
  ];
}
