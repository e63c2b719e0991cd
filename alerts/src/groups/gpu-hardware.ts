import { type AlertsConfig, forWords } from "../config.js";
import { newEvents, oneOf } from "../promql.js";
import type { RuleGroup } from "../rule.js";

const UNCORRECTED = 'proofwatch_gpu_ecc_errors_total{type="uncorrected",counter="volatile"}';

export function gpuHardwareGroup(c: AlertsConfig): RuleGroup {
  const t = c.thresholds;
  const fatalXids = `proofwatch_gpu_xid_errors_total{${oneOf("xid", t.gpuFatalXids)}}`;
  return {
    file: "gpu-hardware.rules.yml",
    name: "proofwatch-gpu-hardware",
    header: [
      "GPU hardware faults: device memory (ECC, row remapping, page retirement), critical XIDs,",
      "and GPUs that stop answering or disappear. Conventions (labels, quarantine action, job",
      "naming) are in alerts/README.md.",
      "",
      "Every per-GPU alert keeps `gpu`, `uuid`, `instance` and `job` from its series, and adds",
      "`host` (instance without its port) through a label template, so the quarantine webhook",
      "reads `uuid` and `host` from labels and never parses alert names or annotations.",
    ],
    rules: [
      {
        comment: [
          "A counter series that first appears already at N > 0 has no increase() over its first",
          "sample, so increase() alone misses it. The second operand catches a series whose",
          "current value differs from the last one seen in the hour before the 10-minute window,",
          "or that has no value there at all (new series). A scrape gap with an unchanged value",
          "does not fire it again. See docs/runbooks/ProofwatchGpuUncorrectedEccErrors.md.",
        ],
        alert: "ProofwatchGpuUncorrectedEccErrors",
        expr: newEvents(UNCORRECTED),
        labels: { severity: "critical", proofwatch_action: "quarantine" },
        annotations: {
          summary: "GPU reported uncorrected ECC errors; its results can no longer be trusted.",
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} reported",
            "new uncorrected volatile ECC errors in the last 10 minutes (increase, or count when",
            "first seen: {{ $value | humanize }}).",
          ],
        },
      },
      {
        comment: [
          "100 corrected errors an hour: a healthy HBM GPU corrects a handful a day at most; a",
          "sustained rate this high precedes uncorrectable errors and row remapping. See the runbook.",
        ],
        alert: "ProofwatchGpuCorrectedEccErrorRateHigh",
        expr: `increase(proofwatch_gpu_ecc_errors_total{type="corrected",counter="volatile"}[1h]) > ${t.gpuCorrectedEccErrorsPerHour}`,
        for: "ProofwatchGpuCorrectedEccErrorRateHigh",
        labels: { severity: "warning" },
        annotations: {
          summary: `GPU corrects more than ${t.gpuCorrectedEccErrorsPerHour} ECC errors an hour.`,
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} corrected",
            `{{ $value | humanize }} ECC errors in the last hour (threshold ${t.gpuCorrectedEccErrorsPerHour}) for ${forWords(c, "ProofwatchGpuCorrectedEccErrorRateHigh")}.`,
          ],
        },
      },
      {
        alert: "ProofwatchGpuRowRemapFailure",
        expr: "proofwatch_gpu_remapped_rows_failure == 1",
        labels: { severity: "critical", proofwatch_action: "quarantine" },
        annotations: {
          summary: "GPU failed to remap a faulty memory row; it has no spare rows left.",
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} reports a row",
            "remapping failure (proofwatch_gpu_remapped_rows_failure = {{ $value }}).",
          ],
        },
      },
      {
        alert: "ProofwatchGpuRowRemapPending",
        expr: "proofwatch_gpu_remapped_rows_pending == 1",
        for: "ProofwatchGpuRowRemapPending",
        labels: { severity: "warning" },
        annotations: {
          summary: "GPU has a row remap waiting for a GPU reset.",
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has had a row",
            `remap pending for ${forWords(c, "ProofwatchGpuRowRemapPending")} (value {{ $value }}); it takes effect at the next reset.`,
          ],
        },
      },
      {
        alert: "ProofwatchGpuPageRetirementPending",
        expr: "proofwatch_gpu_retired_pages_pending == 1",
        for: "ProofwatchGpuPageRetirementPending",
        labels: { severity: "warning" },
        annotations: {
          summary: "GPU has a memory page retirement waiting for a GPU reset.",
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has had a page",
            `retirement pending for ${forWords(c, "ProofwatchGpuPageRetirementPending")} (value {{ $value }}); it takes effect at the next reset.`,
          ],
        },
      },
      {
        comment: [
          "XIDs after which the GPU must be drained: 48 double-bit ECC, 63/64 row-remap or page",
          "retirement event/failure, 74 NVLink, 79 fell off the bus, 92 high single-bit ECC rate,",
          "94/95 contained/uncontained ECC, 119/120 GSP timeout/error. Informational codes (13",
          "graphics engine exception, 31 memory page fault, 43 channel stopped, 45 preemptive",
          "cleanup …) are left out: they follow an application's own fault and the GPU keeps",
          "working. XID 62 has its own alert below. Per-code reasons are in the runbook.",
          "The exporter creates an XID series at its first event with the value 1, so the",
          "new-series operand (see ProofwatchGpuUncorrectedEccErrors) is what catches first events.",
        ],
        alert: "ProofwatchGpuFatalXid",
        expr: newEvents(fatalXids),
        labels: { severity: "critical", proofwatch_action: "quarantine" },
        annotations: {
          summary: "GPU reported an XID error after which it must be drained.",
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} reported XID",
            "{{ $labels.xid }} in the last 10 minutes (increase, or count when first seen:",
            "{{ $value | humanize }}).",
          ],
        },
      },
      {
        comment: [
          "XID 62 (internal micro-controller halt) pages but does not quarantine: on current drivers",
          "it is most often a driver or firmware fault that a reset clears, and when the GPU really",
          "is gone it also raises XID 79 or proofwatch_gpu_up 0, which do quarantine. See the runbook.",
        ],
        alert: "ProofwatchGpuMicrocontrollerHaltXid",
        expr: newEvents('proofwatch_gpu_xid_errors_total{xid="62"}'),
        labels: { severity: "critical" },
        annotations: {
          summary: "GPU reported XID 62, an internal micro-controller halt.",
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} reported XID",
            "62 in the last 10 minutes (increase, or count when first seen: {{ $value | humanize }}).",
          ],
        },
      },
      {
        comment: [
          "0 also means one missed scrape deadline; 5 minutes tells a lost GPU from a slow read.",
        ],
        alert: "ProofwatchGpuLost",
        expr: "proofwatch_gpu_up == 0",
        for: "ProofwatchGpuLost",
        labels: { severity: "critical", proofwatch_action: "quarantine" },
        annotations: {
          summary: "GPU stopped answering NVML.",
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has reported",
            `proofwatch_gpu_up {{ $value }} for ${forWords(c, "ProofwatchGpuLost")}.`,
          ],
        },
      },
      {
        comment: [
          "A GPU that drops out of NVML's enumeration (PCIe link down at boot, driver failed to",
          "bind) leaves no per-GPU series, so compare the host's count with its 1-day maximum.",
          "A host with NVML down reports no count worth comparing: ProofwatchExporterNvmlDown",
          "covers it.",
        ],
        alert: "ProofwatchGpuMissing",
        expr: [
          "(",
          "  max_over_time(proofwatch_exporter_gpus_detected[1d])",
          "    - proofwatch_exporter_gpus_detected",
          ") > 0",
          "unless on (job, instance)",
          "proofwatch_exporter_nvml_up == 0",
        ].join("\n"),
        for: "ProofwatchGpuMissing",
        labels: { severity: "warning" },
        annotations: {
          summary: "Host detects fewer GPUs than it did in the last day.",
          description: [
            "{{ $labels.instance }} detects {{ $value }} GPU(s) fewer than its most in the last",
            "24 hours.",
          ],
        },
      },
    ],
  };
}
