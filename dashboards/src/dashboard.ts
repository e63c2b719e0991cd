// Assembles a dashboard from its rows: shared variables, links between the proofwatch
// dashboards, stable panel ids (Grafana keys panel state and links on them).
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  type Panel,
  RowBuilder,
} from "@grafana/grafana-foundation-sdk/dashboard";
import type { PanelBuilder } from "./panels.js";
import { variables } from "./variables.js";

export interface Row {
  title: string;
  panels: PanelBuilder[];
  /** Rows that are detail for most readers start collapsed. */
  collapsed?: boolean;
}

export interface DashboardSpec {
  /** dashboards/json/<file>.json */
  file: string;
  uid: string;
  title: string;
  description: string;
  rows: Row[];
}

export const TAG = "proofwatch";

/** Sets the id on whatever the builder produces; the foundation SDK's builders lack a common type. */
function withId<T extends { id?: number }>(builder: cog.Builder<T>, id: number): cog.Builder<T> {
  return {
    build: () => ({ ...builder.build(), id }),
  };
}

export function buildDashboard(spec: DashboardSpec): Dashboard {
  let nextId = 1;
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([TAG])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: "now-6h", to: "now" })
    .refresh("1m")
    .timezone("browser")
    .variables(variables())
    .link(
      new DashboardLinkBuilder("proofwatch")
        .type(DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
  for (const row of spec.rows) {
    const rowBuilder = new RowBuilder(row.title).id(nextId++);
    if (row.collapsed) {
      // A collapsed row holds its panels; an open one is followed by them.
      rowBuilder.collapsed(true);
      for (const panel of row.panels) rowBuilder.withPanel(withId<Panel>(panel, nextId++));
      builder.withRow(rowBuilder);
    } else {
      builder.withRow(rowBuilder);
      for (const panel of row.panels) builder.withPanel(withId<Panel>(panel, nextId++));
    }
  }
  return builder.build();
}

/** The JSON file Grafana imports: stable key order from the builders, two-space indent. */
export function renderDashboard(spec: DashboardSpec): string {
  return `${JSON.stringify(buildDashboard(spec), null, 2)}\n`;
}
