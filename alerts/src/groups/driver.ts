import { type AlertsConfig, forWords } from "../config.js";
import type { AlertRule, RuleGroup } from "../rule.js";

/** An allowed-list entry as a regex: `550.54.15` exactly, `550.*` for the branch. */
function versionPattern(version: string): string {
  return version
    .split("*")
    .map((part) => part.replace(/\./g, "\\\\."))
    .join(".*");
}

/**
 * Per host and GPU model: the host's driver, its GPUs of that model as the value. driver_info
 * first, so the series is the host's (one per model it carries), not a GPU's; matched on the
 * driver too, so that a host's series before and after a driver change never meet.
 */
const HOST_MODELS = [
  "",
  "  proofwatch_driver_info",
  "  * on (job, instance, driver_version) group_right (cuda_driver_version)",
  "  count by (job, instance, name, driver_version) (proofwatch_gpu_info)",
  "",
].join("\n");

/** Per model, the driver (or drivers, when they tie) that most of its GPUs run. */
const LEADING_DRIVERS = [
  "",
  "  count by (name, driver_version) (proofwatch_gpu_info)",
  "  == on (name) group_left ()",
  "  max by (name) (count by (name, driver_version) (proofwatch_gpu_info))",
  "",
].join("\n");

/** Alerts this group generates only when the config asks for them (their runbooks ship anyway). */
export const ON_REQUEST_ALERTS = ["ProofwatchGpuDriverNotAllowed"] as const;

function notAllowed(c: AlertsConfig): AlertRule[] {
  const allowed = c.thresholds.allowedDriverVersions;
  // No list, no rule: an empty list would call every driver outside it.
  if (allowed.length === 0) return [];
  const forText = forWords(c, "ProofwatchGpuDriverNotAllowed");
  return [
    {
      comment: [
        "Generated only when thresholds.allowedDriverVersions lists the drivers this site has",
        "qualified; a host booted into any other one (a kernel update pulling a new driver,",
        "a node image from elsewhere) may change what the GPUs compute.",
      ],
      alert: "ProofwatchGpuDriverNotAllowed",
      expr: `proofwatch_driver_info{driver_version!~"${allowed.map(versionPattern).join("|")}"}`,
      for: "ProofwatchGpuDriverNotAllowed",
      labels: { severity: "warning" },
      annotations: {
        summary: `Host has run a driver outside the allowed list for ${forText}.`,
        description: [
          "{{ $labels.instance }} runs NVIDIA driver {{ $labels.driver_version }} (CUDA",
          `{{ $labels.cuda_driver_version }}), which is not in the allowed list (${allowed.join(", ")}),`,
          `and has for ${forText}.`,
        ],
      },
    },
  ];
}

export function driverGroup(c: AlertsConfig): RuleGroup {
  const driftFor = forWords(c, "ProofwatchGpuDriverDrift");
  return {
    file: "driver.rules.yml",
    name: "proofwatch-driver",
    header: [
      "NVIDIA driver versions across the fleet. Conventions are in alerts/README.md.",
      "Driver updates change GPU behaviour more often than prover code does, so a model's GPUs",
      "should all run one driver once a rollout is over.",
    ],
    rules: [
      {
        comment: [
          "The same model on two drivers is expected during a rollout; 24 hours is a rollout",
          "window that covers a fleet drained and upgraded node by node. Longer means a rollout",
          "stalled, or hosts left out of it. It fires per host whose driver is not the one most",
          "of the model's GPUs run, and for every host of the model when two drivers tie.",
        ],
        alert: "ProofwatchGpuDriverDrift",
        expr: [
          `(${HOST_MODELS}) unless on (name, driver_version) (${LEADING_DRIVERS})`,
          "or",
          `(${HOST_MODELS}) and on (name) (count by (name) (${LEADING_DRIVERS}) > 1)`,
        ].join("\n"),
        for: "ProofwatchGpuDriverDrift",
        labels: { severity: "warning" },
        annotations: {
          summary: `Host has run another driver than the fleet's for its GPU model for ${driftFor}.`,
          description: [
            "{{ $labels.instance }} runs NVIDIA driver {{ $labels.driver_version }} on its",
            "{{ $value }} {{ $labels.name }} GPUs, which most GPUs of that model across the fleet",
            `do not (or as many run another), and has for ${driftFor}.`,
          ],
        },
      },
      ...notAllowed(c),
    ],
  };
}
