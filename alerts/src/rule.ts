// What a rule group file in alerts/src/groups/ returns, and the two transforms every rule goes
// through on its way out: the host label and the runbook link (kubernetes-mixin's
// add-runbook-links). Rules never write either themselves, so neither can drift.
import type { AlertsConfig, ForAlert } from "./config.js";

export type Severity = "critical" | "warning" | "info";

export interface AlertRule {
  /** Why-comment lines written above the rule: the reasons for the default values. */
  comment?: readonly string[];
  alert: string;
  /** PromQL; one written over several lines keeps its line breaks in the YAML. */
  expr: string;
  /** The alert whose configured `for:` applies; none for event alerts. */
  for?: ForAlert;
  labels: { severity: Severity; proofwatch_action?: "quarantine" };
  /**
   * `summary` is static text; `description` is templated, given as the lines of a YAML folded
   * block (Prometheus sees them joined with spaces).
   */
  annotations: { summary: string; description: readonly string[] };
}

/** A recording rule: a series other rules and the dashboards read by name. */
export interface RecordingRule {
  comment?: readonly string[];
  /** level:metric:operations (Prometheus' naming for recording rules). */
  record: string;
  expr: string;
}

export interface RuleGroup {
  /** alerts/<file> */
  file: string;
  name: string;
  /** Comment lines at the top of the file. */
  header: readonly string[];
  /** Written before the alerts, which may read them (Prometheus evaluates a group in order). */
  records?: readonly RecordingRule[];
  rules: readonly AlertRule[];
}

/** A rule as written to YAML: keys in the order they appear there. */
export interface RenderedRule {
  comment: readonly string[];
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: readonly string[]; runbook_url: string };
}

export interface RenderedRecord {
  comment: readonly string[];
  record: string;
  expr: string;
}

export interface RenderedGroup {
  file: string;
  name: string;
  header: readonly string[];
  records: RenderedRecord[];
  rules: RenderedRule[];
}

/**
 * The host part of `instance`, as a label template: `gpu-node-01:9840` -> `gpu-node-01`,
 * `[fd00::12]:9840` -> `fd00::12`, anything else unchanged. The same rule as the quarantine
 * service's fallback for alerts without a host label (`hostOfInstance` in
 * quarantine/src/payload.ts). `instance` itself stays unchanged for joins with other series.
 */
export const HOST_TEMPLATE =
  '{{ reReplaceAll `^\\[(.*)\\](:[0-9]+)?$|^([^:]*):[0-9]+$` "$1$3" $labels.instance }}';

/** The host label every alert carries: its configured name and the template that fills it. */
export function hostLabel(config: AlertsConfig): Record<string, string> {
  return { [config.hostLabel]: HOST_TEMPLATE };
}

/** Where an alert's runbook is (docs/runbooks/<AlertName>.md by default). */
export function runbookUrl(config: AlertsConfig, alert: string): string {
  return config.runbookUrlPattern.replaceAll("%s", alert);
}

/** A rule with its configured `for:`, host label and runbook link. */
export function renderRule(config: AlertsConfig, rule: AlertRule): RenderedRule {
  return {
    comment: rule.comment ?? [],
    alert: rule.alert,
    expr: rule.expr,
    ...(rule.for ? { for: config.for[rule.for] } : {}),
    labels: { ...rule.labels, ...hostLabel(config) },
    annotations: { ...rule.annotations, runbook_url: runbookUrl(config, rule.alert) },
  };
}

export function renderGroup(config: AlertsConfig, group: RuleGroup): RenderedGroup {
  return {
    ...group,
    records: (group.records ?? []).map((r) => ({ comment: r.comment ?? [], ...r })),
    rules: group.rules.map((rule) => renderRule(config, rule)),
  };
}
