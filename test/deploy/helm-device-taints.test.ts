// The chart's DRA device taint settings for the quarantine service, with the real helm
// binary: the effect reaches the service's command line (which parses it) while the kubernetes
// action is configured, the schema refuses an effect device taints do not have, and the
// ClusterRole grants what the action uses on resource.k8s.io.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { packageRoot } from "../../common/package-root.js";
import { HELM_CHART } from "../../deploy/src/render.js";
import { helmBinary } from "./helm-binary.js";
import { type Container, flagValue, type PodSpec } from "./workloads.js";

const chart = join(packageRoot(), HELM_CHART);
let helm = "";
beforeAll(() => {
  helm = helmBinary();
}, 120_000);

type Manifest = { kind?: string; metadata?: { name?: string }; spec?: unknown; rules?: unknown };

function template(...sets: string[]) {
  return spawnSync(
    helm,
    ["template", "proofwatch", chart, ...sets.flatMap((set) => ["--set-json", set])],
    { encoding: "utf8" },
  );
}

function rendered(...sets: string[]): Manifest[] {
  const result = template(...sets);
  expect(result.status, result.stderr).toBe(0);
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

function quarantineArgs(ms: Manifest[]): string[] {
  const deployment = ms.find(
    (m) => m.kind === "Deployment" && m.metadata?.name === "proofwatch-quarantine",
  );
  if (!deployment) throw new Error("no quarantine Deployment rendered");
  new Deployment(deployment as never).validate();
  const pod = (deployment.spec as { template: { spec: PodSpec } }).template.spec;
  return (pod.containers[0] as Container).args ?? [];
}

describe("deploy/helm/proofwatch quarantine.deviceTaintEffect", () => {
  it("passes NoSchedule by default and NoExecute when asked", () => {
    expect(flagValue(quarantineArgs(rendered()), "--device-taint-effect")).toBe("NoSchedule");
    const args = quarantineArgs(rendered('quarantine.deviceTaintEffect="NoExecute"'));
    expect(flagValue(args, "--device-taint-effect")).toBe("NoExecute");
  });

  it("leaves the flag out when the kubernetes action is not configured", () => {
    // Values merge into the defaults: null is how a user removes the default action.
    const args = quarantineArgs(rendered("quarantine.config.actions.kubernetes=null"));
    expect(args).not.toContain("--device-taint-effect");
  });

  it("refuses an effect DRA device taints do not have", () => {
    const result = template('quarantine.deviceTaintEffect="PreferNoSchedule"');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/deviceTaintEffect/);
  });

  it("grants list on ResourceSlices and list, create, update, delete on DeviceTaintRules", () => {
    const role = rendered().find(
      (m) => m.kind === "ClusterRole" && m.metadata?.name === "proofwatch-quarantine",
    );
    new ClusterRole(role as never).validate();
    expect(role?.rules).toContainEqual({
      apiGroups: ["resource.k8s.io"],
      resources: ["devicetaintrules"],
      verbs: ["list", "create", "update", "delete"],
    });
    expect(role?.rules).toContainEqual({
      apiGroups: ["resource.k8s.io"],
      resources: ["resourceslices"],
      verbs: ["list"],
    });
  });
});
