// The alerts an operator's lists turn on or change: ProofwatchGpuDriverNotAllowed exists only
// with thresholds.allowedDriverVersions, and ProofwatchNodePowerOverBudget holds each host in
// thresholds.nodePowerBudgetWattsByHost to its own budget. Rules are built from such a config
// as an operator would (npm run alerts -- --config) and unit-tested with promtool.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig, renderGroups } from "../../alerts/src/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const PROMTOOL = process.env.PROMTOOL_BINARY ?? "/usr/bin/promtool";

const site = {
  thresholds: {
    allowedDriverVersions: ["550.*", "535.161.08"],
    nodePowerBudgetWattsByHost: { "gpu-node-07": 3000, "fd00::12": 2000 },
  },
};

const RUNBOOKS = "https://github.com/proofwatch/proofwatch/blob/main/docs/runbooks";
const driverInfo = (host: string, driver: string) =>
  `proofwatch_driver_info{job="proofwatch",instance="${host}:9840",driver_version="${driver}",cuda_driver_version="12.4"}`;
const power = (instance: string, gpu: number) =>
  `proofwatch_gpu_power_watts{job="proofwatch",instance="${instance}",gpu="${gpu}",uuid="GPU-${gpu}"}`;
const series = (name: string, values: string) =>
  `      - series: '${name}'\n        values: "${values}"\n`;

// Written as promtool's own test format, next to the rules built from `site`.
const promtoolTests = `rule_files:
  - driver.rules.yml
  - gpu-thermal-power.rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
${series(driverInfo("gpu-node-01", "545.23.08"), "1x20")}${series(driverInfo("gpu-node-02", "550.90.07"), "1x20")}${series(driverInfo("gpu-node-03", "535.161.08"), "1x20")}${series(driverInfo("gpu-node-04", "535.161.07"), "_x10 1x10")}
    alert_rule_test:
      - eval_time: 4m
        alertname: ProofwatchGpuDriverNotAllowed
        exp_alerts: []
      - eval_time: 5m
        alertname: ProofwatchGpuDriverNotAllowed
        exp_alerts:
          - exp_labels:
              severity: warning
              host: gpu-node-01
              job: proofwatch
              instance: gpu-node-01:9840
              driver_version: 545.23.08
              cuda_driver_version: "12.4"
            exp_annotations:
              summary: Host has run a driver outside the allowed list for 5 minutes.
              description: "gpu-node-01:9840 runs NVIDIA driver 545.23.08 (CUDA 12.4), which is not in the allowed list (550.*, 535.161.08), and has for 5 minutes."
              runbook_url: ${RUNBOOKS}/ProofwatchGpuDriverNotAllowed.md
  - interval: 1m
    input_series:
${[0, 1, 2, 3].map((gpu) => series(power("gpu-node-07:9840", gpu), "800x30")).join("")}${[0, 1, 2, 3].map((gpu) => series(power("gpu-node-01:9840", gpu), "1200x30")).join("")}${series(power("[fd00::12]:9840", 0), "2100x30")}
    alert_rule_test:
      - eval_time: 14m
        alertname: ProofwatchNodePowerOverBudget
        exp_alerts: []
      - eval_time: 15m
        alertname: ProofwatchNodePowerOverBudget
        exp_alerts:
          - exp_labels:
              severity: warning
              host: gpu-node-07
              job: proofwatch
              instance: gpu-node-07:9840
            exp_annotations:
              summary: Node's GPUs have drawn more than its power budget for 15 minutes.
              description: "The GPUs of gpu-node-07:9840 have drawn 106.7% of the node's power budget for 15 minutes."
              runbook_url: ${RUNBOOKS}/ProofwatchNodePowerOverBudget.md
          - exp_labels:
              severity: warning
              host: fd00::12
              job: proofwatch
              instance: "[fd00::12]:9840"
            exp_annotations:
              summary: Node's GPUs have drawn more than its power budget for 15 minutes.
              description: "The GPUs of [fd00::12]:9840 have drawn 105% of the node's power budget for 15 minutes."
              runbook_url: ${RUNBOOKS}/ProofwatchNodePowerOverBudget.md
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "proofwatch-alerts-site-"));
  writeFileSync(join(dir, "site.json"), JSON.stringify(site));
  const built = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "alerts/src/build.ts"),
      "--out",
      dir,
      "--config",
      join(dir, "site.json"),
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  expect(built.status, `${built.stdout}${built.stderr}`).toBe(0);
  writeFileSync(join(dir, "site.test.yml"), promtoolTests);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("an operator's driver list and node budgets", () => {
  it("generates no allowed-list alert without a list", () => {
    const alerts = renderGroups(defaultConfig).flatMap((group) => group.rules.map((r) => r.alert));
    expect(alerts).toContain("ProofwatchGpuDriverDrift");
    expect(alerts).not.toContain("ProofwatchGpuDriverNotAllowed");
  });

  it("fires for a driver outside the list and for a node over its own budget only", () => {
    // gpu-node-01's 4.8 kW stays under the 5 kW default; gpu-node-07's 3.2 kW is over its own
    // 3 kW and [fd00::12]'s 2.1 kW over its 2 kW, which the default would let pass.
    const result = spawnSync(PROMTOOL, ["test", "rules", join(dir, "site.test.yml")], {
      encoding: "utf8",
    });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });
});
