// Every PromQL expression the dashboards run, in one place, so that a metric rename is one
// edit here and `test/dashboards/queries.test.ts` runs each of them against a real Prometheus.
//
// Conventions:
// - `$host` is the exporter's scrape target (`instance`) and `$gpu` the GPU's `uuid`; both
//   are multi-value with `.*` as "All" (see variables.ts), so a selector on a label that a
//   series lacks still matches under "All".
// - Units are converted by the components (docs/metrics.md), never here; panels pick a
//   Grafana unit that matches the metric's base unit.
// - Prover, verifier and quarantine series carry a GPU only as `uuid`. Per-GPU panels join
//   them to the exporter's `proofwatch_gpu_up` (see `withGpuLabels`) for the host filter and
//   legend.

/** Matchers for the GPUs the dashboard's variables select, on exporter series. */
export const SELECTED = 'instance=~"$host", uuid=~"$gpu"';

const LEGEND_GPU = "{{instance}} GPU {{gpu}}";
export const LEGEND = {
  gpu: LEGEND_GPU,
  gpuAnd: (label: string) => `${LEGEND_GPU} {{${label}}}`,
} as const;

function selector(metric: string, extra = ""): string {
  return `${metric}{${extra ? `${SELECTED}, ${extra}` : SELECTED}}`;
}

/** One series per selected GPU, with the labels a table joins on. */
function perGpu(aggregation: "max" | "sum", metric: string, extra = ""): string {
  return `${aggregation} by (instance, gpu, uuid) (${selector(metric, extra)})`;
}

/** `0` for every selected GPU, so a table shows 0 rather than an empty cell. */
const ZERO_PER_GPU = `max by (instance, gpu, uuid) (0 * ${selector("proofwatch_gpu_up")})`;

/**
 * Labels `instance` and `gpu` of the selected GPUs, one series per uuid with the value 1.
 * `proofwatch_gpu_up` is the one exporter series a lost GPU keeps. `topk by (uuid)` keeps a
 * single row per uuid when a GPU's index changed within the lookback window (5 minutes),
 * where two rows would make the join fail with "many-to-many matching".
 */
const GPU_LABELS = `topk by (uuid) (1, count by (uuid, instance, gpu) (${selector("proofwatch_gpu_up")}))`;

/** Joins a by-uuid expression to the selected GPUs, adding `instance` and `gpu`. */
export function withGpuLabels(byUuid: string): string {
  return `${byUuid}\n* on (uuid) group_left (instance, gpu)\n${GPU_LABELS}`;
}

const rate = (series: string) => `rate(${series}[$__rate_interval])`;
const increaseOverRange = (series: string) => `increase(${series}[$__range])`;
/** Events per graph step: bars that read as counts, where a rate would read as fractions. */
const increasePerStep = (series: string) => `increase(${series}[$__rate_interval])`;

// ---------------------------------------------------------------------------------------
// Exporter: per-GPU hardware
// ---------------------------------------------------------------------------------------

export const exporter = {
  // Variables.
  hosts: "label_values(proofwatch_gpu_up, instance)",
  gpus: 'label_values(proofwatch_gpu_up{instance=~"$host"}, uuid)',

  gpusUp: `sum(${selector("proofwatch_gpu_up")})`,
  gpusDown: `sum(1 - ${selector("proofwatch_gpu_up")})`,
  up: perGpu("max", "proofwatch_gpu_up"),
  upTimeline: selector("proofwatch_gpu_up"),
  temperature: perGpu("max", "proofwatch_gpu_temperature_celsius"),
  temperatureSeries: selector("proofwatch_gpu_temperature_celsius"),
  uncorrectedEccVolatile: perGpu(
    "sum",
    "proofwatch_gpu_ecc_errors_total",
    'type="uncorrected", counter="volatile"',
  ),
  // A GPU without XIDs has no series; the fallback shows it as 0 in the table.
  xidsSinceStart: `${perGpu("sum", "proofwatch_gpu_xid_errors_total")}\nor\n${ZERO_PER_GPU}`,

  utilization: selector("proofwatch_gpu_utilization_ratio"),
  memoryUtilization: selector("proofwatch_gpu_memory_utilization_ratio"),
  performanceState: selector("proofwatch_gpu_performance_state"),

  memoryUsed: selector("proofwatch_gpu_memory_used_bytes"),
  memoryTotal: selector("proofwatch_gpu_memory_total_bytes"),
  memoryReserved: selector("proofwatch_gpu_memory_reserved_bytes"),
  computeProcesses: selector("proofwatch_gpu_compute_processes"),
  computeProcessesMemory: selector("proofwatch_gpu_compute_processes_memory_used_bytes"),

  fanSpeed: selector("proofwatch_gpu_fan_speed_ratio"),
  power: selector("proofwatch_gpu_power_watts"),
  powerLimit: selector("proofwatch_gpu_power_limit_watts"),
  /** Mean power over the step from the energy counter: catches spikes a gauge sample misses. */
  powerFromEnergy: rate(selector("proofwatch_gpu_energy_joules_total")),
  energyOverRange: `sum by (instance, gpu, uuid) (${increaseOverRange(selector("proofwatch_gpu_energy_joules_total"))})`,

  smClock: selector("proofwatch_gpu_sm_clock_hertz"),
  memoryClock: selector("proofwatch_gpu_memory_clock_hertz"),
  /** How many of the selected GPUs each reason holds down (0/1 for a single GPU). */
  clocksEventReasons: `sum by (reason) (${selector("proofwatch_gpu_clocks_event_reason_active")})`,
  clocksEventReasonsPerGpu: `max by (instance, gpu, reason) (${selector("proofwatch_gpu_clocks_event_reason_active")})`,

  pcieTx: selector("proofwatch_gpu_pcie_tx_bytes_per_second"),
  pcieRx: selector("proofwatch_gpu_pcie_rx_bytes_per_second"),
  pcieReplays: rate(selector("proofwatch_gpu_pcie_replay_errors_total")),
  pcieLinkGeneration: selector("proofwatch_gpu_pcie_link_generation"),
  pcieLinkMaxGeneration: selector("proofwatch_gpu_pcie_link_max_generation"),
  pcieLinkWidth: selector("proofwatch_gpu_pcie_link_width"),
  pcieLinkMaxWidth: selector("proofwatch_gpu_pcie_link_max_width"),

  eccEnabled: selector("proofwatch_gpu_ecc_enabled"),
  eccPendingEnabled: selector("proofwatch_gpu_ecc_pending_enabled"),
  eccErrorRate: `sum by (instance, gpu, type) (${rate(selector("proofwatch_gpu_ecc_errors_total", 'counter="volatile"'))})`,
  eccErrorsAggregate: `sum by (instance, gpu, type) (${selector("proofwatch_gpu_ecc_errors_total", 'counter="aggregate"')})`,
  retiredPages: selector("proofwatch_gpu_retired_pages"),
  retiredPagesPending: selector("proofwatch_gpu_retired_pages_pending"),
  remappedRows: selector("proofwatch_gpu_remapped_rows"),
  remappedRowsPending: selector("proofwatch_gpu_remapped_rows_pending"),
  remappedRowsFailure: selector("proofwatch_gpu_remapped_rows_failure"),

  xidPerStep: `sum by (instance, gpu, xid) (${increasePerStep(selector("proofwatch_gpu_xid_errors_total"))})`,
  xidTotals: `sum by (instance, gpu, uuid, xid) (${selector("proofwatch_gpu_xid_errors_total")})`,

  // Which pod holds a GPU: proofwatch_gpu_pod_info (docs/metrics.md) on the left, so that a
  // GPU several containers share gives one series per container rather than a "duplicate
  // series" error; the GPU's series on the right, one per uuid.
  /** Each container holding a selected GPU, valued 1 or 0 as the GPU is up or lost. */
  podsOnGpu: `${selector("proofwatch_gpu_pod_info")}\n* on (uuid) group_left (gpu)\ntopk by (uuid) (1, max by (uuid, gpu) (${selector("proofwatch_gpu_up")}))`,
  utilizationByPod: `${selector("proofwatch_gpu_pod_info")}\n* on (uuid) group_left (gpu)\n${selector("proofwatch_gpu_utilization_ratio")}`,
} as const;

// ---------------------------------------------------------------------------------------
// Alerts (the shipped rules in alerts/, evaluated by Prometheus)
// ---------------------------------------------------------------------------------------

const FIRING =
  'ALERTS{alertstate="firing", alertname=~"Proofwatch.*", instance=~"$host", uuid=~"$gpu"}';

export const alerts = {
  firing: FIRING,
  firingCount: `count(${FIRING})`,
  firingByName: `count by (alertname, severity) (${FIRING})`,
} as const;

// ---------------------------------------------------------------------------------------
// Verifier (proof re-checking); fleet panels filter on `$gpu` only, per-GPU panels join
// ---------------------------------------------------------------------------------------

const CHECKED = 'proofwatch_verifier_proofs_checked_total{uuid=~"$gpu"}';
const BAD = 'proofwatch_verifier_proofs_checked_total{uuid=~"$gpu", result!="valid"}';
// Every proof the verifier stored for a GPU, checked or left out by sampling. The two
// counters differ in labels (`result`), so one selector over both keeps them apart.
const STORED = '{__name__=~"proofwatch_verifier_proofs_(checked|skipped)_total", uuid=~"$gpu"}';
const DURATION = "proofwatch_verifier_verification_duration_seconds";

export const verifier = {
  /** Proofs that reached the verifier; the prover's own count is `prover.provedPerMinutePerGpu`. */
  proofsPerMinutePerGpu: withGpuLabels(`sum by (uuid) (${rate(STORED)}) * 60`),
  proofsPerMinute: `sum(${rate(STORED)}) * 60`,
  invalidPerMinutePerGpu: withGpuLabels(`sum by (uuid) (${rate(BAD)}) * 60`),
  invalidOverRange: `sum(${increaseOverRange(BAD)})`,
  invalidOverRangePerGpu: withGpuLabels(`sum by (uuid) (${increaseOverRange(BAD)})`),
  checkedPerMinuteByResult: `sum by (result) (${rate(CHECKED)}) * 60`,
  checkedOverRangeByResult: `sum by (result) (${increaseOverRange(CHECKED)})`,
  badShare: `sum(${rate(BAD)})\n/\nsum(${rate(CHECKED)})`,
  secondsSinceInvalid: withGpuLabels(
    'time() - max by (uuid) (proofwatch_verifier_last_invalid_proof_timestamp_seconds{uuid=~"$gpu"})',
  ),

  durationQuantile: (q: number) =>
    `histogram_quantile(${q}, sum by (le, circuit) (${rate(`${DURATION}_bucket`)}))`,
  durationMean: `sum by (circuit) (${rate(`${DURATION}_sum`)})\n/\nsum by (circuit) (${rate(`${DURATION}_count`)})`,
  batchSizeQuantile: (q: number) =>
    `histogram_quantile(${q}, sum by (le, circuit) (${rate("proofwatch_verifier_batch_size_bucket")}))`,
  queueDepth: "sum(proofwatch_verifier_queue_depth)",
  queueCapacity: "sum(proofwatch_verifier_queue_capacity)",
  rejectedByReason: `sum by (reason) (${rate("proofwatch_verifier_submissions_rejected_total")}) * 60`,

  samplingRatePerGpu: withGpuLabels(
    'max by (uuid) (proofwatch_verifier_sampling_rate{uuid=~"$gpu"})',
  ),
  /** Share of stored proofs that were checked: what sampling actually did. */
  checkedShare: `sum(${rate(CHECKED)})\n/\nsum(${rate(STORED)})`,
} as const;

// ---------------------------------------------------------------------------------------
// Prover service; per-GPU panels join, fleet panels filter on `$gpu` only (the service's
// own `instance` is not the exporter's, so `$host` cannot select it)
// ---------------------------------------------------------------------------------------

const PROOFS = 'proofwatch_prover_proofs_total{uuid=~"$gpu"}';
const PROVED = 'proofwatch_prover_proofs_total{uuid=~"$gpu", result="proved"}';
const IN_FLIGHT = 'proofwatch_prover_jobs_in_flight{uuid=~"$gpu"}';
const phase = (part: "bucket" | "sum" | "count") =>
  `proofwatch_prover_phase_duration_seconds_${part}{uuid=~"$gpu"}`;

export const prover = {
  provedPerMinutePerGpu: withGpuLabels(`sum by (uuid) (${rate(PROVED)}) * 60`),
  provedPerMinute: `sum(${rate(PROVED)}) * 60`,
  runsPerMinutePerGpuByResult: withGpuLabels(`sum by (uuid, result) (${rate(PROOFS)}) * 60`),
  /** Failures carry no `uuid`: fleet-wide, by reason. */
  failuresPerMinuteByReason: `sum by (reason) (${rate("proofwatch_prover_job_failures_total")}) * 60`,
  jobsQueued: "sum(proofwatch_prover_jobs_queued)",
  jobsInFlight: `sum(${IN_FLIGHT})`,
  jobsInFlightPerGpu: withGpuLabels(`max by (uuid) (${IN_FLIGHT})`),
  verifierBacklog: "sum(proofwatch_prover_verifier_backlog)",
  phaseQuantilePerGpu: (q: number) =>
    withGpuLabels(`histogram_quantile(${q}, sum by (le, uuid, phase) (${rate(phase("bucket"))}))`),
  phaseMeanPerGpu: withGpuLabels(
    `sum by (uuid, phase) (${rate(phase("sum"))})\n/\nsum by (uuid, phase) (${rate(phase("count"))})`,
  ),
} as const;

// The prover's known-answer canary per GPU (prover/GPU.md "Canary"). Its counters are read
// raw (since the prover started): a GPU's first failure creates the series at 1, which
// `increase()` cannot see.
const CANARY_SUCCESS = 'proofwatch_prover_canary_success{uuid=~"$gpu"}';
const CANARY_LAST_PASS = 'proofwatch_prover_canary_last_success_timestamp_seconds{uuid=~"$gpu"}';
/** A by-uuid sum shown for every selected GPU, 0 where it has no series. */
const zeroFilled = (byUuid: string) =>
  `${ZERO_PER_GPU}\n+ on (uuid) group_left ()\n${byUuid}\nor\n${ZERO_PER_GPU}`;

export const canary = {
  failingCount: `count(max by (uuid) (${CANARY_SUCCESS}) == 0) or vector(0)`,
  oldestPassAge: `time() - min(${CANARY_LAST_PASS})`,
  lastResultPerGpu: withGpuLabels(`max by (uuid) (${CANARY_SUCCESS})`),
  passAgePerGpu: withGpuLabels(`time() - max by (uuid) (${CANARY_LAST_PASS})`),
  failedRunsPerGpu: zeroFilled(
    'sum by (uuid) (proofwatch_prover_canary_runs_total{uuid=~"$gpu", result!="passed"})',
  ),
  mismatchesPerGpu: zeroFilled(
    'sum by (uuid) (proofwatch_prover_canary_mismatches_total{uuid=~"$gpu"})',
  ),
} as const;

// ---------------------------------------------------------------------------------------
// Quarantine service
// ---------------------------------------------------------------------------------------

const QUARANTINED = "proofwatch_quarantine_gpu_quarantined";

export const quarantine = {
  /** 1 for quarantined selected GPUs, else 0 (a table column). */
  perGpu: `${ZERO_PER_GPU}\n+ on (uuid) group_left ()\nmax by (uuid) (${QUARANTINED})\nor\n${ZERO_PER_GPU}`,
  selectedCount: `count(max by (uuid) (${QUARANTINED} == 1) and on (uuid) ${selector("proofwatch_gpu_up")})`,
  quarantinedGpus: `max by (uuid, host) (${QUARANTINED} == 1)`,
  gpus: "max(proofwatch_quarantine_gpus)",
  nodes: "max(proofwatch_quarantine_nodes)",
  outOfServiceRatio: "max(proofwatch_quarantine_out_of_service_ratio)",
  breakerOpen: "max(proofwatch_quarantine_breaker_open)",
  outboxPending: "max(proofwatch_quarantine_outbox_pending)",
  dryRun: "max(proofwatch_quarantine_dry_run)",
  decisionsByOutcome: `sum by (outcome) (${increasePerStep("proofwatch_quarantine_alerts_total")})`,
  actionsByResult: `sum by (action, result) (${increasePerStep("proofwatch_quarantine_actions_total")})`,
  releasesByMode: `sum by (mode) (${increasePerStep("proofwatch_quarantine_releases_total")})`,
} as const;

// ---------------------------------------------------------------------------------------
// Driver inventory, node power and energy per proof
// ---------------------------------------------------------------------------------------

/** Each selected GPU's model, one series per uuid, for joining a by-uuid series to `name`. */
const GPU_MODEL = `topk by (uuid) (1, count by (uuid, name) (${selector("proofwatch_gpu_info")}))`;
/** A by-uuid (and circuit) expression summed by circuit and GPU model. */
const byCircuitAndModel = (byUuid: string) =>
  `sum by (circuit, name) (\n${byUuid}\n* on (uuid) group_left (name)\n${GPU_MODEL}\n)`;
const ENERGY = 'proofwatch_prover_energy_joules_total{uuid=~"$gpu"}';
/** Joules a kilowatt-hour holds. */
const JOULES_PER_KWH = 3.6e6;

export const inventory = {
  gpusByModelAndDriver: `count by (name, driver_version) (${selector("proofwatch_gpu_info")})`,
  hostsByDriver:
    'count by (driver_version, cuda_driver_version) (proofwatch_driver_info{instance=~"$host"})',
  /** How many driver versions each model runs on across the selection; 1 is no drift. */
  driverVersionsPerModel: `count by (name) (count by (name, driver_version) (${selector("proofwatch_gpu_info")}))`,
  gpusByFirmware: `count by (name, vbios_version, inforom_version) (${selector("proofwatch_gpu_info")})`,
} as const;

export const energy = {
  nodePower: 'proofwatch:node_power_watts:sum{instance=~"$host"}',
  joulesPerProofOverRange: `${byCircuitAndModel(increaseOverRange(ENERGY))}\n/\n${byCircuitAndModel(increaseOverRange(PROVED))}`,
  proofsPerKwhOverRange: `${JOULES_PER_KWH} * ${byCircuitAndModel(increaseOverRange(PROVED))}\n/\n${byCircuitAndModel(increaseOverRange(ENERGY))}`,
  joulesPerProof: `${byCircuitAndModel(rate(ENERGY))}\n/\n${byCircuitAndModel(rate(PROVED))}`,
  joulesPerProofPerGpu: withGpuLabels(
    `sum by (uuid, circuit) (${rate(ENERGY)})\n/\nsum by (uuid, circuit) (${rate(PROVED)})`,
  ),
} as const;
