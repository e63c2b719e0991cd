// Everything an operator may want to set for their own fleet, in one place (kubernetes-mixin's
// `_config`): the label the alerts add for the host, where runbooks live, which scrape jobs are
// proofwatch's components, the thresholds and the `for:` delays. `npm run alerts` renders the
// rules from it, `npm run dashboards` the dashboards' alert thresholds and texts; both take
// `--config FILE` with the values to change (alerts/README.md, "Your own labels and
// thresholds"). The reasons for each default are in the rule files' comments.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";

// --- durations -----------------------------------------------------------------------------

const DURATION = /^(?:[0-9]+(?:ms|[smhdwy]))+$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Milliseconds in a Prometheus duration (`5m`, `1h30m`, `500ms`). */
export function durationMs(duration: string): number {
  if (!DURATION.test(duration)) throw new Error(`"${duration}" is not a Prometheus duration`);
  let total = 0;
  for (const [, count, unit] of duration.matchAll(/([0-9]+)(ms|[smhdwy])/g)) {
    total += Number(count) * (UNIT_MS[unit ?? ""] ?? 0);
  }
  return total;
}

const WORDS: ReadonlyArray<[number, string]> = [
  [604_800_000, "week"],
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1_000, "second"],
  [1, "millisecond"],
];

/**
 * A duration in words for alert texts, in the largest unit that divides it: `10m` is
 * "10 minutes", `1h` "1 hour", `90m` "90 minutes". Takes a Prometheus duration or milliseconds.
 */
export function durationWords(duration: string | number): string {
  const ms = typeof duration === "number" ? duration : durationMs(duration);
  const [size, unit] = WORDS.find(([size]) => ms % size === 0) ?? [1, "millisecond"];
  const count = ms / size;
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

/** A ratio as a percentage for alert texts: 0.05 is "5%". */
export function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(12))}%`;
}

// --- the schema ------------------------------------------------------------------------------

const positiveDuration = z
  .string()
  .regex(DURATION, "a Prometheus duration such as 5m or 1h30m")
  // The regex reports a malformed value; this one only a well-formed zero.
  .refine(
    (d) => !DURATION.test(d) || durationMs(d) > 0,
    "longer than 0: the alert's texts say how long it held",
  );
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "a Prometheus label name");
/** Matchers inside `up{…}`, as kubernetes-mixin's `…Selector` values: `job="gpu-exporter"`. */
const matchers = z.string().min(1, 'matchers such as job="proofwatch"');
const ratio = z.number().gt(0).lte(1);

/** Alerts with a `for:` delay, each configurable. Event alerts (ECC, XIDs, proofs) have none. */
const forSchema = z
  .object({
    ProofwatchExporterDown: positiveDuration,
    ProofwatchExporterNvmlDown: positiveDuration,
    ProofwatchExporterCollectorFailing: positiveDuration,
    ProofwatchGpuCollectionFailing: positiveDuration,
    ProofwatchExporterPodAttributionStale: positiveDuration,
    ProofwatchGpuCorrectedEccErrorRateHigh: positiveDuration,
    ProofwatchGpuRowRemapPending: positiveDuration,
    ProofwatchGpuPageRetirementPending: positiveDuration,
    ProofwatchGpuLost: positiveDuration,
    ProofwatchGpuMissing: positiveDuration,
    ProofwatchGpuTemperatureHigh: positiveDuration,
    ProofwatchGpuHardwareSlowdown: positiveDuration,
    ProofwatchGpuPowerCapped: positiveDuration,
    ProofwatchGpuSoftwareThermalSlowdown: positiveDuration,
    ProofwatchNodePowerOverBudget: positiveDuration,
    ProofwatchGpuDriverDrift: positiveDuration,
    ProofwatchGpuDriverNotAllowed: positiveDuration,
    ProofwatchGpuPcieReplayRateHigh: positiveDuration,
    ProofwatchGpuPcieLinkGenerationDegraded: positiveDuration,
    ProofwatchGpuPcieLinkWidthDegraded: positiveDuration,
    ProofwatchGpuStuck: positiveDuration,
    ProofwatchGpuCanaryFailed: positiveDuration,
    ProofwatchProverThroughputDropped: positiveDuration,
    ProofwatchProverErrors: positiveDuration,
    ProofwatchProverVerifierBacklog: positiveDuration,
    ProofwatchProverDown: positiveDuration,
    ProofwatchVerifierBacklog: positiveDuration,
    ProofwatchVerifierDown: positiveDuration,
    ProofwatchQuarantineShareHigh: positiveDuration,
    ProofwatchQuarantineOutboxStuck: positiveDuration,
    ProofwatchQuarantineGpuNotEnforced: positiveDuration,
    ProofwatchQuarantineDown: positiveDuration,
  })
  .strict();

const jobSelectorsSchema = z
  .object({ exporter: matchers, prover: matchers, verifier: matchers, quarantine: matchers })
  .strict();

const thresholdsSchema = z
  .object({
    /** ProofwatchGpuTemperatureHigh: fires above this die temperature. */
    gpuTemperatureCelsius: z.number().gt(0),
    /** ProofwatchGpuCorrectedEccErrorRateHigh: more corrected errors than this in an hour. */
    gpuCorrectedEccErrorsPerHour: z.number().gt(0),
    /** ProofwatchGpuFatalXid: the XID codes after which a GPU is drained and quarantined. */
    gpuFatalXids: z.array(z.number().int().positive()).min(1),
    /** ProofwatchGpuPcieReplayRateHigh: more replayed packets a minute than this. */
    pcieReplaysPerMinute: z.number().gt(0),
    /** The two PCIe link alerts: a GPU counts as busy above this mean utilization. */
    pcieBusyUtilization: ratio,
    /** ProofwatchProverThroughputDropped: under this share of the GPU's own earlier rate. */
    proverThroughputDropRatio: z.number().gt(0).lt(1),
    /** ProofwatchProverThroughputDropped: fewest proofs in the 3 hours before to have a rate. */
    proverThroughputMinProofs: z.number().int().positive(),
    /** ProofwatchProverErrors: share of runs failing for the service's or a GPU's reasons. */
    proverErrorRatio: ratio,
    /** ProofwatchVerifierBacklog: queue depth over capacity. */
    verifierQueueRatio: ratio,
    /** ProofwatchVerifierWorkerFailures: lost batches in 30 minutes. */
    verifierWorkerFailures: z.number().int().positive(),
    /** ProofwatchQuarantineShareHigh: share of known GPUs out of service. */
    quarantineShare: ratio,
    /** ProofwatchExporterPodAttributionStale: age of the last good kubelet List, in seconds. */
    podAttributionMaxAgeSeconds: z.number().gt(0),
    /** ProofwatchNodePowerOverBudget: the budget of a node's GPUs together, unless listed below. */
    nodePowerBudgetWatts: z.number().gt(0),
    /** ProofwatchNodePowerOverBudget: budgets of particular nodes, by host (`instance` less its port). */
    nodePowerBudgetWattsByHost: z.record(
      z.string().regex(/^[^\s"]+$/, "a host name"),
      z.number().gt(0),
    ),
    /** ProofwatchGpuPowerCapped and …SoftwareThermalSlowdown: share of 15 minutes a reason held the clocks. */
    gpuClocksHeldShare: ratio,
    /** ProofwatchGpuPowerCapped and …SoftwareThermalSlowdown: a GPU counts as busy above this mean utilization. */
    gpuBusyUtilization: ratio,
    /**
     * ProofwatchGpuDriverNotAllowed: the driver versions a host may run (`550.54.15`, or `550.*`
     * for a branch). Empty (the default): no allowed list, and the alert is not generated.
     */
    allowedDriverVersions: z.array(
      z.string().regex(/^[0-9A-Za-z.*_-]+$/, "a version such as 550.54.15 or 550.*"),
    ),
  })
  .strict();

const RESERVED_LABELS = new Set(["alertname", "severity", "proofwatch_action"]);

export const alertsConfigSchema = z
  .object({
    /**
     * The label every alert gets with the host part of `instance`. The quarantine webhook reads
     * `host` and otherwise falls back to `instance` (quarantine/src/payload.ts), so rename it
     * only for automation of your own.
     */
    hostLabel: labelName.refine((name) => !RESERVED_LABELS.has(name), "a label of its own"),
    /** Where an alert's runbook is: `%s` becomes the alert name (kubernetes-mixin's runbookURLPattern). */
    runbookUrlPattern: z.string().includes("%s", { message: "must contain %s (the alert name)" }),
    /** Matchers on `up` for each component's scrape job; see the `…Down` alerts. */
    jobSelectors: jobSelectorsSchema,
    thresholds: thresholdsSchema,
    for: forSchema,
  })
  .strict();

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;
export type ForAlert = keyof AlertsConfig["for"];

export const defaultConfig: AlertsConfig = {
  hostLabel: "host",
  runbookUrlPattern: "https://github.com/proofwatch/proofwatch/blob/main/docs/runbooks/%s.md",
  // The job naming convention in alerts/README.md. A target in any other job is covered once it
  // has exposed its component's metrics, so these only need to match before the first scrape.
  jobSelectors: {
    exporter: 'job=~"proofwatch|.*proofwatch.*exporter.*"',
    prover: 'job=~".*proofwatch.*prover.*"',
    verifier: 'job=~".*proofwatch.*verifier.*"',
    quarantine: 'job=~".*proofwatch.*quarantine.*"',
  },
  thresholds: {
    gpuTemperatureCelsius: 85,
    gpuCorrectedEccErrorsPerHour: 100,
    gpuFatalXids: [48, 63, 64, 74, 79, 92, 94, 95, 119, 120],
    pcieReplaysPerMinute: 8,
    pcieBusyUtilization: 0.25,
    proverThroughputDropRatio: 0.5,
    proverThroughputMinProofs: 36,
    proverErrorRatio: 0.05,
    verifierQueueRatio: 0.8,
    verifierWorkerFailures: 3,
    quarantineShare: 0.2,
    // Ten List intervals at the default --kubelet.pod-resources-interval (30s).
    podAttributionMaxAgeSeconds: 300,
    nodePowerBudgetWatts: 5000,
    nodePowerBudgetWattsByHost: {},
    gpuClocksHeldShare: 0.75,
    gpuBusyUtilization: 0.5,
    allowedDriverVersions: [],
  },
  for: {
    ProofwatchExporterDown: "5m",
    ProofwatchExporterNvmlDown: "5m",
    ProofwatchExporterCollectorFailing: "15m",
    ProofwatchGpuCollectionFailing: "15m",
    ProofwatchExporterPodAttributionStale: "10m",
    ProofwatchGpuCorrectedEccErrorRateHigh: "30m",
    ProofwatchGpuRowRemapPending: "5m",
    ProofwatchGpuPageRetirementPending: "5m",
    ProofwatchGpuLost: "5m",
    ProofwatchGpuMissing: "10m",
    ProofwatchGpuTemperatureHigh: "10m",
    ProofwatchGpuHardwareSlowdown: "10m",
    ProofwatchGpuPowerCapped: "5m",
    ProofwatchGpuSoftwareThermalSlowdown: "5m",
    ProofwatchNodePowerOverBudget: "15m",
    ProofwatchGpuDriverDrift: "24h",
    ProofwatchGpuDriverNotAllowed: "5m",
    ProofwatchGpuPcieReplayRateHigh: "15m",
    ProofwatchGpuPcieLinkGenerationDegraded: "15m",
    ProofwatchGpuPcieLinkWidthDegraded: "15m",
    ProofwatchGpuStuck: "10m",
    ProofwatchGpuCanaryFailed: "2m",
    ProofwatchProverThroughputDropped: "10m",
    ProofwatchProverErrors: "10m",
    ProofwatchProverVerifierBacklog: "10m",
    ProofwatchProverDown: "5m",
    ProofwatchVerifierBacklog: "15m",
    ProofwatchVerifierDown: "5m",
    ProofwatchQuarantineShareHigh: "5m",
    ProofwatchQuarantineOutboxStuck: "10m",
    ProofwatchQuarantineGpuNotEnforced: "15m",
    ProofwatchQuarantineDown: "5m",
  },
};

/** An operator's file: any subset of the config, each section merged over the defaults. */
const overridesSchema = z
  .object({
    hostLabel: z.unknown(),
    runbookUrlPattern: z.unknown(),
    jobSelectors: jobSelectorsSchema.partial(),
    thresholds: thresholdsSchema.partial(),
    for: forSchema.partial(),
  })
  .partial()
  .strict();

function describeIssues(error: z.ZodError, where: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map(String).join(".") || "(top level)";
    return `  ${path}: ${issue.message}`;
  });
  return `${where}:\n${lines.join("\n")}`;
}

/** The defaults with an operator's overrides (a parsed JSON or YAML document) on top. */
export function mergeConfig(overrides: unknown, where = "alerts config"): AlertsConfig {
  const parsed = overridesSchema.safeParse(overrides ?? {});
  if (!parsed.success) throw new Error(describeIssues(parsed.error, where));
  const o = parsed.data;
  const merged = {
    ...defaultConfig,
    ...("hostLabel" in o ? { hostLabel: o.hostLabel } : {}),
    ...("runbookUrlPattern" in o ? { runbookUrlPattern: o.runbookUrlPattern } : {}),
    jobSelectors: { ...defaultConfig.jobSelectors, ...o.jobSelectors },
    thresholds: { ...defaultConfig.thresholds, ...o.thresholds },
    for: { ...defaultConfig.for, ...o.for },
  };
  const full = alertsConfigSchema.safeParse(merged);
  if (!full.success) throw new Error(describeIssues(full.error, where));
  return full.data;
}

/** Reads an operator's config file, JSON or YAML, and merges it over the defaults. */
export function loadConfig(path: string): AlertsConfig {
  return mergeConfig(parse(readFileSync(path, "utf8")), path);
}

/** The `for:` of an alert in words, for its summary and description. */
export function forWords(config: AlertsConfig, alert: ForAlert): string {
  return durationWords(config.for[alert]);
}
