// The chart's pod attribution (exporter.podResources): with the real helm binary, the exporter
// DaemonSet gets the kubelet's pod-resources folder read-only and the flags that point the
// exporter at its socket, by default; turned off, neither, and the container runs as nobody.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { packageRoot } from "../../common/package-root.js";
import { HELM_CHART } from "../../deploy/src/render.js";
import { helmBinary } from "./helm-binary.js";
import { type Container, flagValue, mountedFile, type PodSpec } from "./workloads.js";

const chart = join(packageRoot(), HELM_CHART);
const SOCKET = "/var/lib/kubelet/pod-resources/kubelet.sock";
let helm = "";
beforeAll(() => {
  helm = helmBinary();
}, 120_000);

function template(...sets: string[]) {
  const result = spawnSync(
    helm,
    ["template", "proofwatch", chart, ...sets.flatMap((set) => ["--set", set])],
    { encoding: "utf8" },
  );
  return result;
}

function exporterPod(...sets: string[]): { pod: PodSpec; container: Container } {
  const result = template(...sets);
  expect(result.status, result.stderr).toBe(0);
  const daemonSet = parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as { kind?: string; spec?: unknown } | null)
    .find((m) => m?.kind === "DaemonSet");
  if (!daemonSet) throw new Error("no DaemonSet rendered");
  // Against the Kubernetes schema, as the chart's other tests do.
  new DaemonSet(daemonSet as never).validate();
  const pod = (daemonSet.spec as { template: { spec: PodSpec } }).template.spec;
  return { pod, container: pod.containers[0] as Container };
}

describe("deploy/helm/proofwatch exporter.podResources", () => {
  it("mounts the kubelet's socket read-only and points the exporter at it, by default", () => {
    const { pod, container } = exporterPod();
    const args = container.args ?? [];
    expect(flagValue(args, "--kubelet.pod-resources-socket")).toBe(SOCKET);
    expect(flagValue(args, "--kubelet.pod-resources-interval")).toBe("30s");
    const { mount, volume } = mountedFile(pod, container, SOCKET);
    expect(mount).toMatchObject({ mountPath: "/var/lib/kubelet/pod-resources", readOnly: true });
    expect(volume?.hostPath).toEqual({ path: "/var/lib/kubelet/pod-resources", type: "Directory" });
    // Root only to connect to the kubelet's root-owned socket: nothing more.
    expect(container.securityContext).toMatchObject({
      runAsUser: 0,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("follows the kubelet's folder and the interval set", () => {
    const { pod, container } = exporterPod(
      "exporter.podResources.hostPath=/var/snap/microk8s/common/var/lib/kubelet/pod-resources",
      "exporter.podResources.interval=1m",
    );
    expect(flagValue(container.args ?? [], "--kubelet.pod-resources-interval")).toBe("1m");
    expect(mountedFile(pod, container, SOCKET).volume?.hostPath).toMatchObject({
      path: "/var/snap/microk8s/common/var/lib/kubelet/pod-resources",
    });
  });

  it("leaves the socket, the flags and root out when disabled", () => {
    const { pod, container } = exporterPod("exporter.podResources.enabled=false");
    expect(container.args?.some((arg) => arg.startsWith("--kubelet."))).toBe(false);
    expect((pod.volumes ?? []).some((v) => "hostPath" in v)).toBe(false);
    expect(container.securityContext?.runAsUser).toBeUndefined();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
  });

  it("refuses an interval below a second and a relative folder", () => {
    for (const set of [
      "exporter.podResources.interval=500ms",
      "exporter.podResources.hostPath=pod-resources",
    ]) {
      const result = template(set);
      expect(result.status, set).not.toBe(0);
      expect(result.stderr, set).toContain("/exporter/podResources/");
    }
  });
});
