// Panel builders with the house defaults (datasource variable, legends, units, thresholds),
// so that row files only say what a panel shows.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  BigValueColorMode,
  BigValueGraphMode,
  GraphDrawStyle,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  StackingConfigBuilder,
  StackingMode,
  VizLegendOptionsBuilder,
} from "@grafana/grafana-foundation-sdk/common";
import {
  type DataTransformerConfig,
  MappingType,
  type Panel,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type ValueMapping,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as StateTimelinePanelBuilder } from "@grafana/grafana-foundation-sdk/statetimeline";
import { PanelBuilder as TablePanelBuilder } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE } from "./variables.js";

export type PanelBuilder = cog.Builder<Panel>;

export interface Query {
  expr: string;
  /** Legend template; Grafana's automatic legend when absent. */
  legend?: string;
}

interface Common {
  title: string;
  description: string;
  /** Grafana unit id (https://grafana.com/docs/grafana/latest/panels-visualizations/configure-standard-options/#unit). */
  unit?: string;
  /** Grid width in 1/24ths of the dashboard. */
  width?: number;
  height?: number;
  /** Colour steps: the base colour, then [value, colour] pairs from which on it applies. */
  thresholds?: Array<[number, string]>;
  mappings?: ValueMapping[];
  min?: number;
  max?: number;
  /** Shown instead of "No data" where no series means "none" (no alert, nothing invalid). */
  noValue?: string;
  decimals?: number;
}

const REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function targets(queries: Query[], kind: "range" | "instant" | "table"): DataqueryBuilder[] {
  return queries.map((query, index) => {
    const target = new DataqueryBuilder()
      .refId(REF_IDS[index] ?? `Q${index}`)
      .expr(query.expr)
      .legendFormat(query.legend ?? "__auto");
    if (kind === "range") return target.range();
    target.instant();
    return kind === "table" ? target.format(PromQueryFormat.Table) : target;
  });
}

function thresholds(steps: Array<[number, string]> | undefined, base = "green") {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps([
      { value: null, color: base },
      ...(steps ?? []).map(([value, color]) => ({ value, color })),
    ]);
}

function applyCommon<
  T extends {
    title(t: string): T;
    description(d: string): T;
    datasource(d: typeof DATASOURCE): T;
    span(w: number): T;
    height(h: number): T;
    unit(u: string): T;
    thresholds(t: ThresholdsConfigBuilder): T;
    mappings(m: ValueMapping[]): T;
    min(n: number): T;
    max(n: number): T;
    noValue(v: string): T;
    decimals(d: number): T;
  },
>(builder: T, options: Common, defaultWidth: number, defaultHeight: number): T {
  let panel = builder
    .title(options.title)
    .description(options.description)
    .datasource(DATASOURCE)
    .span(options.width ?? defaultWidth)
    .height(options.height ?? defaultHeight)
    .thresholds(thresholds(options.thresholds));
  if (options.unit !== undefined) panel = panel.unit(options.unit);
  if (options.mappings !== undefined) panel = panel.mappings(options.mappings);
  if (options.min !== undefined) panel = panel.min(options.min);
  if (options.max !== undefined) panel = panel.max(options.max);
  if (options.noValue !== undefined) panel = panel.noValue(options.noValue);
  if (options.decimals !== undefined) panel = panel.decimals(options.decimals);
  return panel;
}

export function timeseries(
  options: Common & { queries: Query[]; stack?: boolean; bars?: boolean },
): TimeseriesPanelBuilder {
  let panel = applyCommon(new TimeseriesPanelBuilder(), options, 12, 8)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Right)
        .calcs(["lastNotNull", "max"]),
    )
    .fillOpacity(options.stack || options.bars ? 60 : 10);
  panel = panel.targets(targets(options.queries, "range"));
  if (options.stack) panel = panel.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  if (options.bars) panel = panel.drawStyle(GraphDrawStyle.Bars);
  return panel;
}

export function stat(options: Common & { query: Query; graph?: boolean }): PanelBuilder {
  return applyCommon(new StatPanelBuilder(), options, 4, 4)
    .targets(targets([options.query], options.graph ? "range" : "instant"))
    .colorMode(BigValueColorMode.Background)
    .graphMode(options.graph ? BigValueGraphMode.Area : BigValueGraphMode.None)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
}

export function stateTimeline(options: Common & { queries: Query[] }): PanelBuilder {
  return applyCommon(new StateTimelinePanelBuilder(), options, 12, 8).targets(
    targets(options.queries, "range"),
  );
}

export interface Column {
  /** The column's header; its query is `queries[i]` of the same index. */
  header: string;
  unit?: string;
  thresholds?: Array<[number, string]>;
  mappings?: ValueMapping[];
}

/**
 * A table of instant queries merged on their common labels: one row per GPU (or alert),
 * one column per query, labels first.
 */
export function table(
  options: Common & {
    queries: Array<Query & Column>;
    /** Label columns to show, in order; every other label is hidden. */
    labels: string[];
    /** Data link on the cells of the first label column (`${__data.fields.<label>}` works). */
    link?: { title: string; url: string };
  },
): PanelBuilder {
  const renameByName: Record<string, string> = {};
  const indexByName: Record<string, number> = {};
  options.labels.forEach((label, index) => {
    indexByName[label] = index;
  });
  const valueField = (index: number) =>
    options.queries.length === 1 ? "Value" : `Value #${REF_IDS[index]}`;
  options.queries.forEach((query, index) => {
    renameByName[valueField(index)] = query.header;
    indexByName[valueField(index)] = options.labels.length + index;
  });
  const transformations: DataTransformerConfig[] = [
    // One row per label set, one column per query.
    { id: "merge", options: {} },
    // Drops Time, __name__, job and any label not asked for.
    { id: "filterFieldsByName", options: { include: { names: Object.keys(indexByName) } } },
    { id: "organize", options: { excludeByName: {}, indexByName, renameByName } },
  ];
  let panel = applyCommon(new TablePanelBuilder(), options, 24, 8)
    .targets(targets(options.queries, "table"))
    .transformations(transformations);
  for (const query of options.queries) {
    const properties = [];
    if (query.unit) properties.push({ id: "unit", value: query.unit });
    if (query.thresholds) {
      properties.push({ id: "thresholds", value: thresholds(query.thresholds).build() });
      properties.push({ id: "custom.cellOptions", value: { type: "color-background" } });
    }
    if (query.mappings) properties.push({ id: "mappings", value: query.mappings });
    if (properties.length > 0) panel = panel.overrideByName(query.header, properties);
  }
  if (options.link && options.labels[0] !== undefined) {
    panel = panel.overrideByName(options.labels[0], [{ id: "links", value: [options.link] }]);
  }
  return panel;
}

/** Value-to-text mapping with colours, e.g. `{ 0: ["lost", "red"], 1: ["up", "green"] }`. */
export function valueText(entries: Record<number, [string, string]>): ValueMapping[] {
  return [
    {
      type: MappingType.ValueToText,
      options: Object.fromEntries(
        Object.entries(entries).map(([value, [text, color]], index) => [
          value,
          { text, color, index },
        ]),
      ),
    },
  ];
}
