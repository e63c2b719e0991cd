import type { AlertsConfig } from "../config.js";
import { indent, newEvents } from "../promql.js";
import type { RuleGroup } from "../rule.js";

const INVALID = 'proofwatch_verifier_proofs_checked_total{result="invalid"}';
const REPLAYS = "proofwatch_verifier_proof_replays_total";

/** A by-uuid expression joined to the GPU's exporter series, which give `gpu` and `instance`. */
function onExporterGpu(byUuid: string): string {
  return [
    "(",
    indent(byUuid, 2),
    ")",
    "* on (uuid) group_left (gpu, instance)",
    "  max by (uuid, gpu, instance) (proofwatch_gpu_info)",
  ].join("\n");
}

/** A by-uuid expression for GPUs no exporter reports; it keeps the verifier's `instance`. */
function onUnknownGpu(byUuid: string): string {
  return ["(", indent(byUuid, 2), ")", "unless on (uuid) proofwatch_gpu_info"].join("\n");
}

// The configuration has nothing for this group: any invalid proof or replay is an alert.
export function proofIntegrityGroup(_c: AlertsConfig): RuleGroup {
  return {
    file: "proof-integrity.rules.yml",
    name: "proofwatch-proof-integrity",
    header: [
      "Proof integrity: what the verifier says about the proofs each GPU makes. Conventions",
      "(labels, quarantine action, job naming) are in alerts/README.md.",
      "",
      "The verifier's series carry only the GPU's `uuid` (its own `instance` and `job` are the",
      "verifier's). The GPU's exporter series `proofwatch_gpu_info` gives the rest: `gpu` and the",
      "exporter's `instance`, from which the `host` label template takes the host the quarantine",
      "webhook acts on. A GPU its exporter does not report gets no alert here (its exporter alerts",
      "fire instead): an alert without the host would be refused by the webhook.",
    ],
    rules: [
      {
        comment: [
          "The verifier's labelled counters appear with their first event, already at 1, so",
          "increase() alone misses the first invalid proof of a GPU: the second operand catches a",
          'new series as in ProofwatchGpuUncorrectedEccErrors (alerts/README.md, "New counter',
          'series"). See docs/runbooks/ProofwatchGpuInvalidProofs.md.',
        ],
        alert: "ProofwatchGpuInvalidProofs",
        expr: onExporterGpu(newEvents(INVALID)),
        labels: { severity: "critical", proofwatch_action: "quarantine" },
        annotations: {
          summary:
            "The verifier found an invalid proof from this GPU; its proofs can no longer be trusted.",
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} produced",
            "invalid {{ $labels.circuit }} proofs in the last 10 minutes (increase, or count when",
            "first seen: {{ $value | humanize }}).",
          ],
        },
      },
      {
        comment: [
          "A replay: a GPU submitted a proof first submitted for another job or by another GPU.",
          "The verifier records it invalid, so for a GPU its exporter reports",
          "ProofwatchGpuInvalidProofs fires too and takes it out of service; this alert says why.",
          "The second operand keeps a replay from a uuid no exporter reports (a made-up GPU is",
          "what a forged submission would name): it fires with the verifier's own instance.",
          "Counter series appear at 1: the new-series operand as above.",
          "See docs/runbooks/ProofwatchGpuProofReplays.md.",
        ],
        alert: "ProofwatchGpuProofReplays",
        expr: [
          "(",
          indent(onExporterGpu(newEvents(REPLAYS)), 2),
          ")",
          "or",
          "(",
          indent(onUnknownGpu(newEvents(REPLAYS)), 2),
          ")",
        ].join("\n"),
        labels: { severity: "critical" },
        annotations: {
          summary:
            "A GPU submitted a proof that was first submitted for another job or by another GPU.",
          description: [
            "{{ if $labels.gpu }}GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }}{{ else }}GPU",
            "{{ $labels.uuid }}, which no exporter reports (verifier {{ $labels.instance }}),{{ end }}",
            "was named on replayed {{ $labels.circuit }} proofs in the last 10 minutes (increase,",
            "or count when first seen: {{ $value | humanize }}); each is recorded invalid.",
          ],
        },
      },
    ],
  };
}
