// The one way this service asks Prometheus anything (auto-release's health checks, the GPU
// inventory): an instant query whose answer is checked against the API's schema before use.
// https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries
import { z } from "zod";

const Sample = z.object({
  metric: z.record(z.string(), z.string()),
  value: z.tuple([z.number(), z.string()]),
});

const VectorAnswer = z.object({
  status: z.literal("success"),
  data: z.object({ resultType: z.literal("vector"), result: z.array(Sample) }),
});

export type Sample = z.infer<typeof Sample>;

/** Runs `expr` as an instant query; throws unless Prometheus answers with a vector. */
export async function queryVector(
  prometheusUrl: string,
  expr: string,
  timeoutMs = 10_000,
): Promise<Sample[]> {
  const url = `${prometheusUrl.replace(/\/$/, "")}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`Prometheus answered HTTP ${response.status}`);
  const answer = VectorAnswer.safeParse(await response.json());
  if (!answer.success) throw new Error("Prometheus answered without a vector");
  return answer.data.data.result;
}
