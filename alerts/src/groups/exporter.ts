import { type AlertsConfig, forWords } from "../config.js";
import { scrapeDown } from "../promql.js";
import type { RuleGroup } from "../rule.js";

export function exporterGroup(c: AlertsConfig): RuleGroup {
  const t = c.thresholds;
  return {
    file: "exporter.rules.yml",
    name: "proofwatch-exporter",
    header: ["Health of the proofwatch exporter itself. Conventions are in alerts/README.md."],
    rules: [
      {
        comment: [
          "Job naming convention (alerts/README.md): exporters are scraped in a job named",
          "`proofwatch` or one whose name contains `proofwatch` and then `exporter`. Targets in",
          "any other job are still covered once they have been scraped successfully: a target",
          "that exposed proofwatch_exporter_build_info in the last day is an exporter.",
        ],
        alert: "ProofwatchExporterDown",
        expr: scrapeDown(c.jobSelectors.exporter, "proofwatch_exporter_build_info"),
        for: "ProofwatchExporterDown",
        labels: { severity: "critical" },
        annotations: {
          summary: "Prometheus cannot scrape a proofwatch exporter; its GPUs are unwatched.",
          description: [
            `Scrapes of {{ $labels.instance }} in job {{ $labels.job }} have failed for ${forWords(c, "ProofwatchExporterDown")}`,
            "(up = {{ $value }}); its GPUs get no alerts and no quarantine.",
          ],
        },
      },
      {
        alert: "ProofwatchExporterNvmlDown",
        expr: "proofwatch_exporter_nvml_up == 0",
        for: "ProofwatchExporterNvmlDown",
        labels: { severity: "critical" },
        annotations: {
          summary: "Exporter cannot load or initialise NVML; no GPU metrics from the host.",
          description: [
            "The exporter on {{ $labels.instance }} has reported proofwatch_exporter_nvml_up",
            `{{ $value }} for ${forWords(c, "ProofwatchExporterNvmlDown")}; its GPUs get no alerts and no quarantine.`,
          ],
        },
      },
      {
        comment: [
          "A lost GPU or a host without NVML makes collectors fail too; those have their own",
          "alerts (ProofwatchGpuLost, ProofwatchExporterNvmlDown), so they are left out here.",
        ],
        alert: "ProofwatchExporterCollectorFailing",
        expr: [
          "proofwatch_exporter_collector_success == 0",
          "unless on (job, instance) proofwatch_gpu_up == 0",
          "unless on (job, instance) proofwatch_exporter_nvml_up == 0",
        ].join("\n"),
        for: "ProofwatchExporterCollectorFailing",
        labels: { severity: "warning" },
        annotations: {
          summary: `An exporter collector has failed every scrape for ${forWords(c, "ProofwatchExporterCollectorFailing")}.`,
          description: [
            "Collector {{ $labels.collector }} of the exporter on {{ $labels.instance }} has",
            `reported success {{ $value }} for ${forWords(c, "ProofwatchExporterCollectorFailing")}; its metrics are missing.`,
          ],
        },
      },
      {
        alert: "ProofwatchGpuCollectionFailing",
        expr: [
          "proofwatch_gpu_collection_success == 0",
          "unless on (job, instance, gpu, uuid) proofwatch_gpu_up == 0",
        ].join("\n"),
        for: "ProofwatchGpuCollectionFailing",
        labels: { severity: "warning" },
        annotations: {
          summary: `Exporter has failed to read part of a GPU's metrics for ${forWords(c, "ProofwatchGpuCollectionFailing")}.`,
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has reported",
            `proofwatch_gpu_collection_success {{ $value }} for ${forWords(c, "ProofwatchGpuCollectionFailing")} although it answers NVML.`,
          ],
        },
      },
      {
        comment: [
          "Pod attribution (--kubelet.pod-resources-socket): the exporter keeps serving its last",
          "good List while the kubelet does not answer, so proofwatch_gpu_pod_info may name pods",
          "that have left. The series exists only where the flag is set; 0 means never answered.",
        ],
        alert: "ProofwatchExporterPodAttributionStale",
        expr: `time() - proofwatch_exporter_pod_resources_last_success_timestamp_seconds > ${t.podAttributionMaxAgeSeconds}`,
        for: "ProofwatchExporterPodAttributionStale",
        labels: { severity: "warning" },
        annotations: {
          summary:
            "The exporter's pod-to-GPU mapping is stale: the kubelet's pod-resources API does not answer.",
          description: [
            "The exporter on {{ $labels.instance }} last read the kubelet's pod-resources API",
            "{{ $value | humanizeDuration }} ago; proofwatch_gpu_pod_info may name pods that have",
            "left or miss new ones.",
          ],
        },
      },
    ],
  };
}
