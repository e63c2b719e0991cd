import { type AlertsConfig, forWords, percent } from "../config.js";
import { scrapeDown } from "../promql.js";
import type { RuleGroup } from "../rule.js";

const PROVED = 'proofwatch_prover_proofs_total{result="proved"}';
const BY_GPU = "sum by (job, instance, uuid)";

export function proverGroup(c: AlertsConfig): RuleGroup {
  const t = c.thresholds;
  const drop = t.proverThroughputDropRatio;
  const stuckFor = forWords(c, "ProofwatchGpuStuck");
  const backlogFor = forWords(c, "ProofwatchProverVerifierBacklog");
  const canaryFor = forWords(c, "ProofwatchGpuCanaryFailed");
  return {
    file: "prover.rules.yml",
    name: "proofwatch-prover",
    header: [
      "The prover service (`proofwatch prover`, docs/prover-service.md): GPUs that fail their",
      "known-answer canary, GPUs that hold jobs without working on them, GPUs that prove at under",
      "half their own recent rate, failing runs, proofs that do not reach the verifier, and the",
      "service itself down. Conventions (labels, quarantine action, job naming) are in",
      "alerts/README.md.",
      "",
      "The prover's per-GPU series carry only `uuid` besides its own `job` and `instance`. The",
      "prover runs on the GPUs' host, so the `host` label template reads the right machine from its",
      "`instance` too; ProofwatchGpuStuck keeps the exporter's series (and so `gpu`) instead.",
    ],
    rules: [
      {
        comment: [
          "The GPU's last known-answer canary (prover/GPU.md, \"Canary\": the prover's own MSM and",
          "NTT kernels on fixed inputs against the CPU's answers, and a pass over its free memory)",
          "failed or could not run. The prover service already gives it no work; quarantine keeps",
          "it out everywhere else and for good, until a canary passes again and the quarantine",
          "service's automatic release (or a person) lets it back. The `for:` asks two scrapes to",
          "agree; the gauge holds until the next run (--canary-interval), so the alert does too.",
          "See docs/runbooks/ProofwatchGpuCanaryFailed.md.",
        ],
        alert: "ProofwatchGpuCanaryFailed",
        expr: "proofwatch_prover_canary_success == 0",
        for: "ProofwatchGpuCanaryFailed",
        labels: { severity: "critical", proofwatch_action: "quarantine" },
        annotations: {
          summary:
            "A GPU failed its known-answer canary: its kernels or memory return wrong results.",
          description: [
            "GPU {{ $labels.uuid }} on {{ $labels.instance }} has failed its known-answer canary",
            `for ${canaryFor} (proofwatch_prover_canary_success = {{ $value }}): a check of the`,
            "prover's own kernels or of its memory returned a wrong result (or could not run). It",
            "takes no prover work; see",
            "proofwatch_prover_canary_mismatches_total and the prover's log for the check.",
          ],
        },
      },
      {
        comment: [
          "A job on the GPU (the prover's view) and no kernel running on it (NVML's view) for 10",
          "minutes: a hung kernel, driver or daemon holds the job, and the GPU would keep taking",
          "jobs. The in-flight gauge is read over 2 minutes so the moment between two jobs does",
          "not reset `for:`. Only GPUs the prover has used as devices in the last day count",
          "(bytes copied to them): a prover on the CPU backend (`--backend cpu`, or `auto`",
          "without a usable CUDA) keeps one worker per GPU and never runs a kernel, and would",
          "otherwise quarantine every GPU it has a job for. Quarantine takes the GPU out of the",
          "prover's rotation (its list is the quarantine service's).",
          "See docs/runbooks/ProofwatchGpuStuck.md.",
        ],
        alert: "ProofwatchGpuStuck",
        expr: [
          "proofwatch_gpu_utilization_ratio < 0.01",
          "and on (uuid)",
          "max_over_time(proofwatch_prover_jobs_in_flight[2m]) > 0",
          "and on (uuid)",
          "max_over_time(proofwatch_prover_device_transfer_bytes_total[1d]) > 0",
        ].join("\n"),
        for: "ProofwatchGpuStuck",
        labels: { severity: "critical", proofwatch_action: "quarantine" },
        annotations: {
          summary: `GPU has held a prover job for ${stuckFor} without running a kernel.`,
          description: [
            "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has had a",
            `prover job in flight for ${stuckFor} at {{ $value | humanizePercentage }}`,
            "utilization; the job is stuck on it.",
          ],
        },
      },
      {
        comment: [
          "The GPU's proved proofs per minute over the last 15 minutes against its own over the 3",
          "hours before. Two guards keep quiet the GPUs that are merely given less work: the GPU had",
          "a job in flight more than half of the 15 minutes (it was busy, yet delivered under",
          "half), and it proved at least 36 proofs (one per 5 minutes) in the 3 hours before (an",
          "idle or new GPU has no rate to fall from). A quarantined GPU gets no jobs, so it is not",
          "in flight and stays quiet. See docs/runbooks/ProofwatchProverThroughputDropped.md.",
        ],
        alert: "ProofwatchProverThroughputDropped",
        expr: [
          "(",
          `  ${BY_GPU} (increase(${PROVED}[15m])) / 15`,
          "  <",
          `  ${drop} * ${BY_GPU} (increase(${PROVED}[3h] offset 15m)) / 180`,
          ")",
          "and on (job, instance, uuid)",
          `  ${BY_GPU} (increase(${PROVED}[3h] offset 15m)) >= ${t.proverThroughputMinProofs}`,
          "and on (job, instance, uuid)",
          "  avg_over_time(proofwatch_prover_jobs_in_flight[15m]) > 0.5",
        ].join("\n"),
        for: "ProofwatchProverThroughputDropped",
        labels: { severity: "warning" },
        annotations: {
          summary: `A busy GPU proves at under ${drop === 0.5 ? "half" : percent(drop)} of its own rate of the previous 3 hours.`,
          description: [
            "GPU {{ $labels.uuid }} on {{ $labels.instance }} proved",
            `{{ printf "%.2f" $value }} proofs a minute over the last 15 minutes, under ${drop === 0.5 ? "half" : `${percent(drop)} of`} its`,
            "rate of the 3 hours before, while it had jobs in flight.",
          ],
        },
      },
      {
        comment: [
          "Runs that fail for the service's or a GPU's reasons, as a share of all runs. Failures a",
          "job brings with it (bad_witness, witness_mismatch, bad_request) are the client's and",
          "are left out: a bad witness fails on every GPU (docs/prover-service.md).",
        ],
        alert: "ProofwatchProverErrors",
        expr: [
          'sum by (job, instance) (rate(proofwatch_prover_job_failures_total{reason!~"bad_witness|witness_mismatch|bad_request"}[10m]))',
          "/",
          "sum by (job, instance) (rate(proofwatch_prover_proofs_total[10m]))",
          `> ${t.proverErrorRatio}`,
        ].join("\n"),
        for: "ProofwatchProverErrors",
        labels: { severity: "warning" },
        annotations: {
          summary: `More than ${percent(t.proverErrorRatio)} of the prover's runs fail for reasons other than the job's input.`,
          description: [
            "{{ $value | humanizePercentage }} of the runs of the prover on",
            "{{ $labels.instance }} failed (timeout, crash, zkey, output, backend or internal)",
            `over the last 10 minutes, for ${forWords(c, "ProofwatchProverErrors")}.`,
          ],
        },
      },
      {
        comment: [
          "Deliveries go one at a time and retry with backoff up to 30 s: a backlog that never",
          "empties in 10 minutes means the verifier refuses or cannot keep up, and past",
          "--verifier-backlog the oldest proofs are dropped unchecked.",
        ],
        alert: "ProofwatchProverVerifierBacklog",
        expr: "proofwatch_prover_verifier_backlog > 0",
        for: "ProofwatchProverVerifierBacklog",
        labels: { severity: "warning" },
        annotations: {
          summary: `The prover has had proofs waiting for the verifier for ${backlogFor}.`,
          description: [
            "The prover on {{ $labels.instance }} has had {{ $value }} proofs waiting to be",
            `delivered to the verifier for ${backlogFor}.`,
          ],
        },
      },
      {
        comment: [
          "Job naming as for the exporter (alerts/README.md): a job whose name contains",
          "`proofwatch` and then `prover`, or any target that exposed the prover's metrics in the",
          "last day.",
        ],
        alert: "ProofwatchProverDown",
        expr: scrapeDown(c.jobSelectors.prover, "proofwatch_prover_workers"),
        for: "ProofwatchProverDown",
        labels: { severity: "critical" },
        annotations: {
          summary: "Prometheus cannot scrape a proofwatch prover; its GPUs' jobs are unwatched.",
          description: [
            `Scrapes of {{ $labels.instance }} in job {{ $labels.job }} have failed for ${forWords(c, "ProofwatchProverDown")}`,
            "(up = {{ $value }}); its jobs, GPUs stuck on them and its failures are unwatched.",
          ],
        },
      },
    ],
  };
}
