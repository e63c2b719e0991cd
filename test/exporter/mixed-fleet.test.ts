// A fleet of two hosts with the same GPU model on different drivers, from the shipped
// fake-nvml scenarios (mixed-fleet-a: eight H100s on 550.54.15, mixed-fleet-b: four on
// 535.161.08): one exporter process per host, as NVML is one per process, and a real
// Prometheus scraping both with the shipped rules. The drift rule names host b only (a runs
// the model's most common driver), pending for its 24 h rollout window; the node power
// recording rule sums each host's GPUs.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderGroups } from "../../alerts/src/index.js";
import { packageRoot } from "../../common/package-root.js";
import { freePort } from "../../demo/src/ports.js";
import { fakeNvmlLibraryPath } from "../../native/index.js";
import { type CliProcess, spawnCli, untilHealthy } from "../helpers/cli.js";
import { eventually, type RunningPrometheus, startPrometheus } from "../helpers/prometheus.js";

const root = packageRoot();
const scenario = (name: string) => join(root, "native/fake-nvml/scenarios", name);

const driftExpr = (() => {
  const rule = renderGroups()
    .flatMap((group) => group.rules)
    .find((r) => r.alert === "ProofwatchGpuDriverDrift");
  if (!rule) throw new Error("no ProofwatchGpuDriverDrift rule");
  return rule.expr;
})();

describe("a mixed-driver fleet of two hosts", () => {
  const exporters: CliProcess[] = [];
  const instances: string[] = [];
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    for (const file of ["mixed-fleet-a.json", "mixed-fleet-b.json"]) {
      const port = await freePort();
      const proc = spawnCli("exporter", ["--web.listen-address", `127.0.0.1:${port}`], {
        PROOFWATCH_NVML_LIBRARY: fakeNvmlLibraryPath(),
        FAKE_NVML_SCENARIO: scenario(file),
        PROOFWATCH_LOG_LEVEL: "error",
      });
      exporters.push(proc);
      instances.push(`127.0.0.1:${port}`);
      await untilHealthy(proc, `http://127.0.0.1:${port}`);
    }
    prometheus = await startPrometheus({
      targets: instances,
      ruleFiles: [
        join(root, "alerts/driver.rules.yml"),
        join(root, "alerts/gpu-thermal-power.rules.yml"),
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await prometheus?.stop();
    for (const proc of exporters) {
      proc.child.kill("SIGTERM");
      await proc.exited;
    }
  });

  it("finds host b off the fleet's driver for its H100s, with its four GPUs as the value", async () => {
    const [hostA, hostB] = instances;
    const result = await eventually(async () => {
      const found = await prometheus.query(driftExpr);
      // Both hosts scraped: 12 GPUs known, so the majority is settled.
      const gpus = await prometheus.query("count(proofwatch_gpu_info)");
      return found.length > 0 && gpus[0]?.value[1] === "12" ? found : undefined;
    });
    expect(result.map((r) => ({ ...r.metric, value: r.value[1] }))).toEqual([
      {
        job: "proofwatch",
        instance: hostB,
        name: "NVIDIA H100 80GB HBM3",
        driver_version: "535.161.08",
        cuda_driver_version: "12.2",
        value: "4",
      },
    ]);
    expect(result.some((r) => r.metric.instance === hostA)).toBe(false);
  });

  it("holds the drift alert pending on host b for the rollout window", async () => {
    const pending = await eventually(async () => {
      const alerts = await prometheus.query(
        'ALERTS{alertname="ProofwatchGpuDriverDrift", alertstate="pending"}',
      );
      return alerts.length > 0 ? alerts : undefined;
    });
    expect(pending.map((a) => [a.metric.instance, a.metric.host])).toEqual([
      [instances[1], "127.0.0.1"],
    ]);
  });

  it("records each host's GPU power: 8 x 612 W on a, 4 x 655 W on b", async () => {
    const power = await eventually(async () => {
      const found = await prometheus.query("proofwatch:node_power_watts:sum");
      return found.length === 2 ? found : undefined;
    });
    const byInstance = Object.fromEntries(
      power.map((p) => [p.metric.instance, Number(p.value[1])]),
    );
    expect(byInstance).toEqual({ [instances[0] as string]: 4896, [instances[1] as string]: 2620 });
  });
});
