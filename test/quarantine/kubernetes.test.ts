// The `kubernetes` action through the real @kubernetes/client-node against a small server
// that speaks the nodes API (no API server can run here). The server applies the patches
// the way the API server does and refuses what it would refuse, so the test checks the
// requests the client really makes.
import { writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer } from "../../common/listen.js";
import {
  CORDONED_ANNOTATION,
  GPUS_ANNOTATION,
  TAINT_KEY,
} from "../../quarantine/src/actions/kubernetes.js";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
import { readBody } from "../helpers/http.js";
import { alert, events, payload, post, start, type Workspace, workspace } from "./helpers.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** RFC 7386 JSON merge patch. */
function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const result: { [key: string]: Json } =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

interface Request {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Json;
}

const API_TOKEN = "kube-token-0123456789";

class FakeNodesApi {
  readonly requests: Request[] = [];
  nodes = new Map<string, { [key: string]: Json }>();
  /** Bump a node's resourceVersion behind the client's back once, as another writer would. */
  raceOnce = false;
  private version = 100;
  private server: Server | undefined;
  url = "";

  addNode(
    name: string,
    spec: { [key: string]: Json } = {},
    annotations: Record<string, string> = {},
  ) {
    this.nodes.set(name, {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, resourceVersion: String(++this.version), labels: {}, annotations },
      spec,
      status: {},
    });
  }

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      const text = await readBody(req);
      const url = new URL(req.url ?? "/", "http://x");
      const request: Request = {
        method: req.method ?? "",
        path: url.pathname,
        headers: req.headers,
        body: text ? (JSON.parse(text) as Json) : null,
      };
      this.requests.push(request);
      const reply = (code: number, body: Json) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const status = (code: number, reason: string, message: string) =>
        reply(code, {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason,
          message,
          code,
        });

      if (req.headers.authorization !== `Bearer ${API_TOKEN}`)
        return status(401, "Unauthorized", "no token");
      const match = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname);
      if (!match) return status(404, "NotFound", `no route ${url.pathname}`);
      const name = decodeURIComponent(match[1] as string);
      const node = this.nodes.get(name);
      if (!node) return status(404, "NotFound", `nodes "${name}" not found`);
      if (req.method === "GET") return reply(200, node);
      if (req.method !== "PATCH") return status(405, "MethodNotAllowed", req.method ?? "");

      const type = (req.headers["content-type"] ?? "").split(";")[0];
      if (type !== "application/merge-patch+json") {
        // This server only speaks merge patches; the test fails if the client sends another.
        return status(415, "UnsupportedMediaType", `unsupported patch type ${type}`);
      }
      const metadata = node.metadata as { [key: string]: Json };
      if (this.raceOnce) {
        this.raceOnce = false;
        metadata.resourceVersion = String(++this.version);
      }
      const patch = request.body as { metadata?: { resourceVersion?: string } };
      const precondition = patch?.metadata?.resourceVersion;
      if (precondition !== undefined && precondition !== metadata.resourceVersion) {
        return status(409, "Conflict", "the object has been modified");
      }
      const updated = mergePatch(node, request.body) as { [key: string]: Json };
      (updated.metadata as { [key: string]: Json }).resourceVersion = String(++this.version);
      this.nodes.set(name, updated);
      reply(200, updated);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }

  node(name: string) {
    return this.nodes.get(name) as {
      metadata: { annotations?: Record<string, string> };
      spec: {
        unschedulable?: boolean;
        taints?: Array<{ key: string; effect: string; value?: string }>;
      };
    };
  }

  patches() {
    return this.requests.filter((r) => r.method === "PATCH");
  }
}

describe("kubernetes action", () => {
  let ws: Workspace;
  let api: FakeNodesApi;
  let service: RunningQuarantine;
  let hook: string;

  beforeAll(async () => {
    ws = workspace();
    api = new FakeNodesApi();
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
