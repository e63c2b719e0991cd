// The `kubernetes` action through the real @kubernetes/client-node against a stand-in for the
// API server (kube-api.ts; no API server can run here) serving the nodes API and no
// resource.k8s.io, as a device-plugin cluster does. The stand-in applies the patches the way
// the API server does and refuses what it would refuse, so the test checks the requests the
// client really makes.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CORDONED_ANNOTATION,
  GPUS_ANNOTATION,
  TAINT_KEY,
} from "../../quarantine/src/actions/kubernetes.js";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
import { alert, events, payload, post, start, type Workspace, workspace } from "./helpers.js";
import { API_TOKEN, FakeResourceApi } from "./kube-api.js";

describe("kubernetes action", () => {
  let ws: Workspace;
  let api: FakeResourceApi;
  let service: RunningQuarantine;
  let hook: string;

  beforeAll(async () => {
    ws = workspace();
    api = new FakeResourceApi(null);
    await api.start();
    api.addNode("gpu-node-a");
    // An operator's own taint and cordon on node b must survive our changes.
    api.addNode("gpu-node-b", {
      unschedulable: true,
      taints: [{ key: "maintenance", effect: "NoExecute" }],
    });
    const kubeconfig = join(ws.dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        // client-node refuses plain http unless told to skip TLS verification.
        clusters: [
          { name: "test", cluster: { server: api.url, "insecure-skip-tls-verify": true } },
        ],
        users: [{ name: "proofwatch", user: { token: API_TOKEN } }],
        contexts: [{ name: "test", context: { cluster: "test", user: "proofwatch" } }],
        "current-context": "test",
      }),
    );
    service = await start(ws, {
      fleetSize: 16,
      limits: { maxShare: 0.5, maxNew: 10, windowMs: 3_600_000 },
      escalateAfter: 2,
      actions: { kubernetes: { kubeconfig, nodeName: "short" } },
    });
    hook = `${service.url}/v1/alertmanager`;
  });
  afterAll(async () => {
    await service?.close();
    await api?.stop();
    ws?.remove();
  });

  const gpuAlert = (node: string, n: number) =>
    alert({ uuid: `GPU-${node}-${n}`, host: `${node}.cluster.example`, gpu: String(n) });

  it("annotates the node with its quarantined GPUs, with the patch type and token the client sends", async () => {
    const response = await post(hook, payload([gpuAlert("gpu-node-a", 0)]));
    expect(response.status).toBe(200);
    expect(api.node("gpu-node-a").metadata.annotations?.[GPUS_ANNOTATION]).toBe("GPU-gpu-node-a-0");
    expect(api.node("gpu-node-a").spec.unschedulable).toBeUndefined();

    const [get, patch] = api.requests.slice(-2);
    expect(get).toMatchObject({ method: "GET", path: "/api/v1/nodes/gpu-node-a" });
    expect(patch?.method).toBe("PATCH");
    expect(patch?.headers["content-type"]).toMatch(/^application\/merge-patch\+json/);
    expect(patch?.body).toMatchObject({ metadata: { resourceVersion: expect.any(String) } });
  });

  it("cordons and taints on escalation, retrying after a conflicting write", async () => {
    api.raceOnce = true;
    const before = api.patches().length;
    const response = await post(hook, payload([gpuAlert("gpu-node-a", 1)]));
    expect(response.body.results).toMatchObject([{ outcome: "quarantined", node: "quarantined" }]);
    const node = api.node("gpu-node-a");
    expect(node.metadata.annotations?.[GPUS_ANNOTATION]).toBe("GPU-gpu-node-a-0,GPU-gpu-node-a-1");
    expect(node.spec.unschedulable).toBe(true);
    expect(node.spec.taints).toEqual([{ key: TAINT_KEY, effect: "NoSchedule" }]);
    expect(node.metadata.annotations?.[CORDONED_ANNOTATION]).toBe("true");
    // One refused by the precondition, then the ones that went through.
    expect(api.patches().length - before).toBeGreaterThanOrEqual(2);
  });

  it("does nothing when the node is already as wanted", async () => {
    const before = api.patches().length;
    await post(hook, payload([gpuAlert("gpu-node-a", 1)]));
    expect(api.patches().length).toBe(before);
  });

  it("releases: removes annotation, taint and its own cordon", async () => {
    for (const n of [0, 1]) {
      const response = await post(`${service.url}/v1/quarantine/GPU-gpu-node-a-${n}/release`, {
        reason: "board replaced",
      });
      expect(response).toMatchObject({ status: 200, body: { status: "released" } });
    }
    const node = api.node("gpu-node-a");
    expect(node.metadata.annotations?.[GPUS_ANNOTATION]).toBeUndefined();
    expect(node.metadata.annotations?.[CORDONED_ANNOTATION]).toBeUndefined();
    expect(node.spec.unschedulable).toBeUndefined();
    expect(node.spec.taints).toBeUndefined();
  });

  it("never lifts an operator's cordon or taint", async () => {
    await post(hook, payload([gpuAlert("gpu-node-b", 0), gpuAlert("gpu-node-b", 1)]));
    let node = api.node("gpu-node-b");
    expect(node.spec.taints).toEqual([
      { key: "maintenance", effect: "NoExecute" },
      { key: TAINT_KEY, effect: "NoSchedule" },
    ]);
    expect(node.metadata.annotations?.[CORDONED_ANNOTATION]).toBeUndefined();

    for (const n of [0, 1]) {
      await post(`${service.url}/v1/quarantine/GPU-gpu-node-b-${n}/release`, { reason: "fixed" });
    }
    node = api.node("gpu-node-b");
    expect(node.spec.unschedulable).toBe(true);
    expect(node.spec.taints).toEqual([{ key: "maintenance", effect: "NoExecute" }]);
    expect(node.metadata.annotations?.[GPUS_ANNOTATION]).toBeUndefined();
  });

  it("records a node that does not exist as a permanent failure, not a retry loop", async () => {
    const response = await post(hook, payload([gpuAlert("no-such-node", 0)]));
    expect(response.status).toBe(200);
    expect(await events(service.url, "action_failed")).toMatchObject([
      { host: "no-such-node.cluster.example", detail: { action: "kubernetes" } },
    ]);
  });
});
