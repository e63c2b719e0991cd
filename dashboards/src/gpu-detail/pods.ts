import type { Row } from "../dashboard.js";
import { table, timeseries, valueText } from "../panels.js";
import { exporter } from "../queries.js";

/** Which pods hold the selected GPUs, from the kubelet (proofwatch_gpu_pod_info). */
export function podsRow(): Row {
  return {
    title: "Pods",
    panels: [
      table({
        title: "Pods on these GPUs",
        description:
          "Each container the kubelet has given one of the selected GPUs, by device plugin or DRA claim, as the exporter last read it (every 30s). A GPU several containers share has a row for each. Empty outside Kubernetes.",
        width: 10,
        labels: ["instance", "gpu", "namespace", "pod", "container"],
        queries: [
          {
            header: "GPU",
            expr: exporter.podsOnGpu,
            mappings: valueText({ 0: ["lost", "red"], 1: ["up", "green"] }),
          },
        ],
      }),
      timeseries({
        title: "GPU utilization by pod",
        description:
          "The utilization of the GPU each container holds; containers sharing a GPU show the same line.",
        unit: "percentunit",
        min: 0,
        max: 1,
        width: 14,
        queries: [
          {
            expr: exporter.utilizationByPod,
            legend: "{{namespace}}/{{pod}}/{{container}} on {{instance}} GPU {{gpu}}",
          },
        ],
      }),
    ],
  };
}
