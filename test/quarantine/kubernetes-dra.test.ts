// Per-GPU quarantine through DRA device taints: the `kubernetes` action, through the real
// @kubernetes/client-node, against an API server stand-in (kube-api.ts; no API server can run
// here) that serves resource.k8s.io discovery, ResourceSlices as NVIDIA's DRA driver for
// GPUs publishes them, and DeviceTaintRules; and against one that does not serve them.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseExposition } from "../../demo/src/exposition.js";
import { root } from "../../deploy/src/render.js";
import { GPUS_ANNOTATION } from "../../quarantine/src/actions/kubernetes.js";
import { parseServiceArgs } from "../../quarantine/src/cli.js";
import type { QuarantineOptions, RunningQuarantine } from "../../quarantine/src/index.js";
import { familyTypes, promtoolCheckMetrics, undocumentedMetrics } from "../helpers/prometheus.js";
import {
  alert,
  events,
  metric,
  payload,
  post,
  scrape,
  start,
  type Workspace,
  workspace,
} from "./helpers.js";
import {
  API_TOKEN,
  type ApiRequest,
  FakeResourceApi,
  type Json,
  ruleProblems,
  type ServedVersion,
} from "./kube-api.js";

const DRIVER = "gpu.nvidia.com";
const MANAGED = "app.kubernetes.io/managed-by";
const UUID_A0 = "GPU-a0a0a0a0-0000-4000-8000-000000000000";
const UUID_A1 = "GPU-a1a1a1a1-0000-4000-8000-000000000001";
/** In MIG mode: the driver publishes its MIG devices, each naming it as parentUUID. */
const UUID_B0 = "GPU-b0b0b0b0-0000-4000-8000-000000000000";
/** On a node whose driver publishes nothing for it. */
const UUID_GHOST = "GPU-0f0f0f0f-0000-4000-8000-000000000009";

/** A device as k8s-dra-driver-gpu's deviceinfo.go writes it (resource.k8s.io/v1 shape). */
function gpuDevice(name: string, uuid: string): { [key: string]: Json } {
  return {
    name,
    attributes: {
      type: { string: "gpu" },
      uuid: { string: uuid },
      productName: { string: "NVIDIA H100 80GB HBM3" },
      architecture: { string: "Hopper" },
      driverVersion: { version: "580.65.6" },
    },
    capacity: { memory: { value: "80Gi" } },
  };
}

function migDevice(name: string, uuid: string, parent: string): { [key: string]: Json } {
  return {
    name,
    attributes: {
      type: { string: "mig" },
      uuid: { string: uuid },
      parentUUID: { string: parent },
      profile: { string: "3g.40gb" },
    },
  };
}

/** Kubernetes 1.36 with the DRADeviceTaints feature gate: DeviceTaintRule in v1beta2 and v1alpha3, not v1. */
const WITH_TAINTS: ServedVersion[] = [
  { version: "v1", kinds: ["ResourceSlice"] },
  { version: "v1beta2", kinds: ["ResourceSlice", "DeviceTaintRule"] },
  { version: "v1beta1", kinds: ["ResourceSlice"] },
  { version: "v1alpha3", kinds: ["DeviceTaintRule"] },
];
/** A cluster of Kubernetes 1.34 without the gate: DRA, but no device taints. */
const WITHOUT_TAINTS: ServedVersion[] = [
  { version: "v1", kinds: ["ResourceSlice"] },
  { version: "v1beta2", kinds: ["ResourceSlice"] },
  { version: "v1beta1", kinds: ["ResourceSlice"] },
];

function writeKubeconfig(ws: Workspace, server: string): string {
  const file = join(ws.dir, "kubeconfig");
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "test", cluster: { server, "insecure-skip-tls-verify": true } }],
      users: [{ name: "proofwatch", user: { token: API_TOKEN } }],
      contexts: [{ name: "test", context: { cluster: "test", user: "proofwatch" } }],
      "current-context": "test",
    }),
  );
  return file;
}

const gpuAlert = (uuid: string, host: string, gpu = "0") => alert({ uuid, host, gpu });

/** The RBAC verb and resource of a request, as the API server's authorizer sees it. */
function rbacOf(request: ApiRequest): string | null {
  const match = /^\/apis?\/(?:([^/]+)\/)?v[^/]+\/([a-z]+)(\/[^/]+)?$/.exec(request.path);
  if (!match) return null; // discovery: allowed to every authenticated user (system:discovery)
  const [, group = "", resource, name] = match;
  const verb = {
    GET: name ? "get" : "list",
    POST: "create",
    PUT: "update",
    PATCH: "patch",
    DELETE: "delete",
  }[request.method];
  return `${verb} ${group === "resource.k8s.io" || group === "" ? group : "?"}/${resource}`;
}

/** What the shipped ClusterRole grants, in the same form. */
function granted(): string[] {
  const role = parseAllDocuments(readFileSync(join(root, "deploy/kubernetes/rbac.yaml"), "utf8"))
    .map((d) => d.toJS() as { kind: string; rules?: Array<Record<string, string[]>> })
    .find((d) => d.kind === "ClusterRole");
  return (role?.rules ?? []).flatMap((rule) =>
    (rule.apiGroups ?? []).flatMap((group) =>
      (rule.resources ?? []).flatMap((resource) =>
        (rule.verbs ?? []).map((verb) => `${verb} ${group}/${resource}`),
      ),
    ),
  );
}

interface Rule {
  apiVersion: string;
  metadata: {
    name: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: {
    deviceSelector: { driver: string; pool: string; device: string };
    taint: { key: string; effect: string; value?: string };
  };
}

interface StandInCluster {
  ws: Workspace;
  api: FakeResourceApi;
  service: RunningQuarantine;
}

/**
 * The stand-in serving `served`, given its nodes, slices and refusals by `prepare`, and a
 * quarantine service whose `kubernetes` action (default settings) acts on it.
 */
async function startCluster(
  served: ServedVersion[] | null,
  prepare: (api: FakeResourceApi) => void,
): Promise<StandInCluster> {
  const ws = workspace();
  const api = new FakeResourceApi(served);
  await api.start();
  prepare(api);
  const service = await start(ws, {
    fleetSize: 16,
    actions: { kubernetes: { kubeconfig: writeKubeconfig(ws, api.url), nodeName: "host" } },
  });
  return { ws, api, service };
}

async function stopCluster(cluster: Partial<StandInCluster>): Promise<void> {
  await cluster.service?.close();
  await cluster.api?.stop();
  cluster.ws?.remove();
}

describe("kubernetes action with DRA device taints (API server stand-in)", () => {
  let ws: Workspace;
  let api: FakeResourceApi;
  let service: RunningQuarantine;
  let kubeconfig: string;
  const startService = async (effect?: "NoSchedule" | "NoExecute") => {
    service = await start(ws, {
      fleetSize: 16,
      limits: { maxShare: 0.5, maxNew: 10, windowMs: 3_600_000 },
      actions: {
        kubernetes: {
          kubeconfig,
          nodeName: "host",
          ...(effect ? { deviceTaintEffect: effect } : {}),
        },
      },
    });
  };
  const rulesOf = (uuid: string) =>
    api
      .managedRules()
      .filter(
        (r) => (r as unknown as Rule).metadata.annotations?.["proofwatch.dev/gpu-uuid"] === uuid,
      ) as unknown as Rule[];

  beforeAll(async () => {
    ws = workspace();
    api = new FakeResourceApi(WITH_TAINTS);
    await api.start();
    api.addNode("gpu-node-a");
    api.addNode("gpu-node-b");
    api.addSlice(DRIVER, "gpu-node-a", [gpuDevice("gpu-0", UUID_A0), gpuDevice("gpu-1", UUID_A1)]);
    api.addSlice(DRIVER, "gpu-node-b", [
      migDevice("gpu-0-mig-9-0-4", "MIG-b0000000-0000-4000-8000-000000000001", UUID_B0),
      migDevice("gpu-0-mig-9-4-4", "MIG-b0000000-0000-4000-8000-000000000002", UUID_B0),
    ]);
    // Another driver's device naming the same UUID must never be selected.
    api.addSlice("net.example.com", "gpu-node-a", [gpuDevice("nic-0", UUID_A0)]);
    // An operator's own rule, and one proofwatch left behind for a GPU that is no longer
    // quarantined (a release whose delete never ran): the start removes only the latter.
    api.addRule({
      metadata: { name: "maintenance-gpu-node-a-gpu-1" },
      spec: {
        deviceSelector: { driver: DRIVER, pool: "gpu-node-a", device: "gpu-1" },
        taint: { key: "example.com/maintenance", effect: "NoSchedule" },
      },
    });
    api.addRule({
      metadata: {
        name: "proofwatch-gpu-0123456789abcdef",
        labels: { [MANAGED]: "proofwatch", "proofwatch.dev/gpu": "0123456789abcdef" },
        annotations: { "proofwatch.dev/gpu-uuid": UUID_A1 },
      },
      spec: {
        deviceSelector: { driver: DRIVER, pool: "gpu-node-a", device: "gpu-1" },
        taint: { key: "proofwatch.dev/quarantined", effect: "NoSchedule" },
      },
    });
    kubeconfig = writeKubeconfig(ws, api.url);
    await startService();
  });
  afterAll(async () => {
    await service?.close();
    await api?.stop();
    ws?.remove();
  });

  it("uses the newest version that serves DeviceTaintRule and reconciles what it left at start", async () => {
    expect(
      api.requests.some((r) => r.method === "GET" && /^\/apis\/resource\.k8s\.io\/?$/.test(r.path)),
    ).toBe(true);
    const deletes = api.ruleWrites().filter((r) => r.method === "DELETE");
    expect(deletes.map((r) => r.path)).toEqual([
      "/apis/resource.k8s.io/v1beta2/devicetaintrules/proofwatch-gpu-0123456789abcdef",
    ]);
    expect(api.rules.has("maintenance-gpu-node-a-gpu-1")).toBe(true);
    const text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_gpu_quarantine_enforced")).toBe(1);
    expect(metric(text, "proofwatch_quarantine_gpus_not_enforced")).toBe(0);
  });

  it("quarantine creates exactly one DeviceTaintRule, selecting the device that carries the GPU's UUID", async () => {
    const before = api.ruleWrites().length;
    const response = await post(
      `${service.url}/v1/alertmanager`,
      payload([gpuAlert(UUID_A0, "gpu-node-a")]),
    );
    expect(response.body.results).toMatchObject([{ outcome: "quarantined" }]);

    const writes = api.ruleWrites().slice(before);
    expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual([
      "POST /apis/resource.k8s.io/v1beta2/devicetaintrules",
    ]);
    expect(writes[0]?.query.get("fieldManager")).toBe("proofwatch");
    const slicesRead = api.requests.filter((r) => r.path.endsWith("/resourceslices"));
    expect(slicesRead.at(-1)?.path).toBe("/apis/resource.k8s.io/v1/resourceslices");
    expect(slicesRead.at(-1)?.query.get("fieldSelector")).toBe(`spec.driver=${DRIVER}`);

    const rules = rulesOf(UUID_A0);
    expect(rules).toHaveLength(1);
    const [rule] = rules as [Rule];
    expect(rule.apiVersion).toBe("resource.k8s.io/v1beta2");
    expect(rule.metadata.name).toMatch(/^proofwatch-gpu-[0-9a-f]{16}$/);
    expect(rule.metadata.labels).toEqual({
      [MANAGED]: "proofwatch",
      "proofwatch.dev/gpu": rule.metadata.name.slice("proofwatch-gpu-".length),
    });
    expect(rule.spec).toEqual({
      deviceSelector: { driver: DRIVER, pool: "gpu-node-a", device: "gpu-0" },
      taint: { key: "proofwatch.dev/quarantined", effect: "NoSchedule" },
    });
    // The node annotation stays, for readers of the device-plugin era.
    expect(api.node("gpu-node-a").metadata.annotations?.[GPUS_ANNOTATION]).toBe(UUID_A0);
    const text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_gpus_not_enforced")).toBe(0);
  });

  it("a GPU in MIG mode gets one rule for each of its MIG devices", async () => {
    await post(`${service.url}/v1/alertmanager`, payload([gpuAlert(UUID_B0, "gpu-node-b")]));
    const rules = rulesOf(UUID_B0);
    expect(
      rules.map((r) => r.spec.deviceSelector).sort((a, b) => a.device.localeCompare(b.device)),
    ).toEqual([
      { driver: DRIVER, pool: "gpu-node-b", device: "gpu-0-mig-9-0-4" },
      { driver: DRIVER, pool: "gpu-node-b", device: "gpu-0-mig-9-4-4" },
    ]);
    expect(rulesOf(UUID_A0)).toHaveLength(1);
  });

  it("a repeat changes nothing: a restart reconciles to the same rules without writing", async () => {
    const names = api
      .managedRules()
      .map((r) => (r as unknown as Rule).metadata.name)
      .sort();
    await service.close();
    const before = api.ruleWrites().length;
    await startService();
    expect(api.ruleWrites().slice(before)).toEqual([]);
    expect(
      api
        .managedRules()
        .map((r) => (r as unknown as Rule).metadata.name)
        .sort(),
    ).toEqual(names);
  });

  it("a GPU that no ResourceSlice lists keeps only the annotation, and the metric counts it", async () => {
    const before = api.ruleWrites().length;
    await post(
      `${service.url}/v1/alertmanager`,
      payload([gpuAlert(UUID_GHOST, "gpu-node-a", "7")]),
    );
    expect(api.ruleWrites().slice(before)).toEqual([]);
    expect(api.node("gpu-node-a").metadata.annotations?.[GPUS_ANNOTATION]).toBe(
      [UUID_A0, UUID_GHOST].sort().join(","),
    );
    const text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_gpu_quarantine_enforced")).toBe(1);
    expect(metric(text, "proofwatch_quarantine_gpus_not_enforced")).toBe(1);
  });

  it("NoExecute is opt-in: started with it, the rules are updated in place", async () => {
    await service.close();
    const before = api.ruleWrites().length;
    await startService("NoExecute");
    const writes = api.ruleWrites().slice(before);
    expect(writes.map((w) => w.method)).toEqual(["PUT", "PUT", "PUT"]);
    for (const rule of api.managedRules() as unknown as Rule[]) {
      expect(rule.spec.taint.effect).toBe("NoExecute");
    }
  });

  it("release deletes the GPU's rules and nothing else", async () => {
    for (const uuid of [UUID_A0, UUID_B0, UUID_GHOST]) {
      const response = await post(`${service.url}/v1/quarantine/${uuid}/release`, {
        reason: "board replaced",
      });
      expect(response).toMatchObject({ status: 200, body: { status: "released" } });
    }
    expect(api.managedRules()).toEqual([]);
    expect(api.rules.has("maintenance-gpu-node-a-gpu-1")).toBe(true);
    expect(api.node("gpu-node-a").metadata.annotations?.[GPUS_ANNOTATION]).toBeUndefined();
    const text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_gpus_not_enforced")).toBe(0);
  });

  it("uses exactly what deploy/kubernetes/rbac.yaml grants", () => {
    const used = new Set(api.requests.map(rbacOf).filter((x): x is string => x !== null));
    expect([...used].sort()).toEqual(granted().sort());
  });

  it("documents its metrics, which promtool accepts", async () => {
    const text = await scrape(service.url);
    const names = Object.keys(familyTypes(parseExposition(text), "proofwatch_quarantine_"));
    expect(names).toContain("proofwatch_quarantine_gpu_quarantine_enforced");
    expect(names).toContain("proofwatch_quarantine_gpus_not_enforced");
    expect(undocumentedMetrics(names)).toEqual([]);
    const check = promtoolCheckMetrics(text);
    expect(check.output).toBe("");
    expect(check.status).toBe(0);
  });

  it("every DeviceTaintRule it sent validates against the official schema", () => {
    expect(api.invalid).toEqual([]);
    // Created: A0, two MIG devices; updated: three.
    expect(api.accepted).toHaveLength(6);
  });
});

/** Kubernetes 1.33 to 1.35 with the gate: DeviceTaintRule in v1alpha3 only. */
const ALPHA_ONLY: ServedVersion[] = [
  { version: "v1", kinds: ["ResourceSlice"] },
  { version: "v1beta2", kinds: ["ResourceSlice"] },
  { version: "v1beta1", kinds: ["ResourceSlice"] },
  { version: "v1alpha3", kinds: ["DeviceTaintRule"] },
];
/** Kubernetes 1.37: DeviceTaintRule GA; listed oldest first, so the action must rank them. */
const GA: ServedVersion[] = [
  { version: "v1alpha3", kinds: ["DeviceTaintRule"] },
  { version: "v1beta2", kinds: ["ResourceSlice", "DeviceTaintRule"] },
  { version: "v1", kinds: ["ResourceSlice", "DeviceTaintRule"] },
];

describe.each([
  { cluster: "1.33-1.35 (v1alpha3)", served: ALPHA_ONLY, apiVersion: "resource.k8s.io/v1alpha3" },
  { cluster: "1.37 (v1)", served: GA, apiVersion: "resource.k8s.io/v1" },
])("kubernetes action on Kubernetes $cluster (API server stand-in)", ({ served, apiVersion }) => {
  let ws: Workspace;
  let api: FakeResourceApi;
  let service: RunningQuarantine;

  beforeAll(async () => {
    ({ ws, api, service } = await startCluster(served, (api) => {
      api.addNode("gpu-node-a");
      api.addSlice(DRIVER, "gpu-node-a", [
        gpuDevice("gpu-0", UUID_A0),
        gpuDevice("gpu-1", UUID_A1),
      ]);
    }));
  });
  afterAll(() => stopCluster({ ws, api, service }));

  it("creates the rule in the newest version that serves it, and deletes it on release", async () => {
    await post(`${service.url}/v1/alertmanager`, payload([gpuAlert(UUID_A1, "gpu-node-a", "1")]));
    expect(api.ruleWrites().map((w) => `${w.method} ${w.path}`)).toEqual([
      `POST /apis/${apiVersion}/devicetaintrules`,
    ]);
    const [rule] = api.managedRules() as unknown as Rule[];
    expect(rule?.apiVersion).toBe(apiVersion);
    expect(rule?.spec.deviceSelector).toEqual({
      driver: DRIVER,
      pool: "gpu-node-a",
      device: "gpu-1",
    });

    await post(`${service.url}/v1/quarantine/${UUID_A1}/release`, { reason: "reseated" });
    expect(api.managedRules()).toEqual([]);
    expect(api.invalid).toEqual([]);
    expect(api.accepted).toHaveLength(1);
  });
});

describe("kubernetes action on a GPU also published for VFIO passthrough (API server stand-in)", () => {
  let ws: Workspace;
  let api: FakeResourceApi;
  let service: RunningQuarantine;

  beforeAll(async () => {
    ({ ws, api, service } = await startCluster(WITH_TAINTS, (api) => {
      api.addNode("gpu-node-a");
      // deviceinfo.go's VfioDeviceInfo: the same UUID, type "vfio", its own device name.
      const vfio = gpuDevice("gpu-vfio-0", UUID_A0);
      (vfio.attributes as { [key: string]: Json }).type = { string: "vfio" };
      api.addSlice(DRIVER, "gpu-node-a", [gpuDevice("gpu-0", UUID_A0), vfio]);
    }));
  });
  afterAll(() => stopCluster({ ws, api, service }));

  it("taints both devices, under names of their own", async () => {
    await post(`${service.url}/v1/alertmanager`, payload([gpuAlert(UUID_A0, "gpu-node-a")]));
    const rules = (api.managedRules() as unknown as Rule[]).map((r) => [
      r.metadata.name.replace(/[0-9a-f]{16}/, "HASH"),
      r.spec.deviceSelector.device,
    ]);
    expect(rules.sort()).toEqual([
      ["proofwatch-gpu-HASH", "gpu-0"],
      ["proofwatch-gpu-HASH-gpu-vfio-0", "gpu-vfio-0"],
    ]);
    await post(`${service.url}/v1/quarantine/${UUID_A0}/release`, { reason: "replaced" });
    expect(api.managedRules()).toEqual([]);
    expect(api.invalid).toEqual([]);
  });
});

describe("kubernetes action whose ClusterRole lacks the device taint verbs (API server stand-in)", () => {
  let ws: Workspace;
  let api: FakeResourceApi;
  let service: RunningQuarantine;

  beforeAll(async () => {
    ({ ws, api, service } = await startCluster(WITH_TAINTS, (api) => {
      // The ClusterRole of earlier releases: nodes only.
      for (const denied of [
        "list resourceslices",
        "list devicetaintrules",
        "create devicetaintrules",
        "update devicetaintrules",
        "delete devicetaintrules",
      ]) {
        api.forbidden.add(denied);
      }
      api.addNode("gpu-node-a");
      api.addSlice(DRIVER, "gpu-node-a", [gpuDevice("gpu-0", UUID_A0)]);
    }));
  });
  afterAll(() => stopCluster({ ws, api, service }));

  it("still annotates the node, and audits the refusal once instead of retrying it forever", async () => {
    const response = await post(
      `${service.url}/v1/alertmanager`,
      payload([gpuAlert(UUID_A0, "gpu-node-a")]),
    );
    expect(response.status).toBe(200);
    expect(api.node("gpu-node-a").metadata.annotations?.[GPUS_ANNOTATION]).toBe(UUID_A0);
    const failed = await events(service.url, "action_failed");
    expect(failed).toHaveLength(1);
    expect(String(failed[0]?.detail?.error)).toMatch(
      /cannot list resource "devicetaintrules".*deploy\/kubernetes\/rbac\.yaml/,
    );
    const text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_gpus_not_enforced")).toBe(1);
    expect(metric(text, "proofwatch_quarantine_outbox_pending")).toBe(0);
  });
});

describe("the stand-in's schema check", () => {
  const valid = {
    apiVersion: "resource.k8s.io/v1",
    kind: "DeviceTaintRule",
    metadata: { name: "proofwatch-gpu-0123456789abcdef", labels: { [MANAGED]: "proofwatch" } },
    spec: {
      deviceSelector: { driver: DRIVER, pool: "gpu-node-a", device: "gpu-0" },
      taint: { key: "proofwatch.dev/quarantined", effect: "NoSchedule" },
    },
  };
  it("accepts a rule the API server accepts", () => {
    expect(ruleProblems(valid, "resource.k8s.io/v1")).toEqual([]);
  });
  it.each([
    [
      "a CEL selector (removed in 1.35)",
      {
        spec: {
          ...valid.spec,
          deviceSelector: { driver: DRIVER, selectors: [{ cel: { expression: "true" } }] },
        },
      },
    ],
    [
      "an effect no version knows",
      { spec: { ...valid.spec, taint: { key: "k", effect: "PreferNoSchedule" } } },
    ],
    ["a taint without its key", { spec: { ...valid.spec, taint: { effect: "NoSchedule" } } }],
    ["a name that is no DNS subdomain", { metadata: { name: "Proofwatch_GPU" } }],
    [
      "a label value with a colon",
      { metadata: { name: "x", labels: { "proofwatch.dev/gpu": "GPU:0" } } },
    ],
    ["an unknown metadata field", { metadata: { name: "x", lables: {} } }],
  ])("refuses %s", (_, change) => {
    expect(ruleProblems({ ...valid, ...change } as Json, "resource.k8s.io/v1")).not.toEqual([]);
  });
  it("refuses an object sent to another version than its own", () => {
    expect(ruleProblems(valid, "resource.k8s.io/v1beta2")).not.toEqual([]);
  });
});

describe("kubernetes action on a cluster that serves no DeviceTaintRule (API server stand-in)", () => {
  let ws: Workspace;
  let api: FakeResourceApi;
  let service: RunningQuarantine;

  beforeAll(async () => {
    ({ ws, api, service } = await startCluster(WITHOUT_TAINTS, (api) => {
      api.addNode("gpu-node-a");
      api.addSlice(DRIVER, "gpu-node-a", [gpuDevice("gpu-0", UUID_A0)]);
    }));
  });
  afterAll(() => stopCluster({ ws, api, service }));

  it("falls back to the node annotation, and the metrics say per-GPU quarantine is not enforced", async () => {
    const response = await post(
      `${service.url}/v1/alertmanager`,
      payload([gpuAlert(UUID_A0, "gpu-node-a")]),
    );
    expect(response.body.results).toMatchObject([{ outcome: "quarantined" }]);
    expect(api.node("gpu-node-a").metadata.annotations?.[GPUS_ANNOTATION]).toBe(UUID_A0);
    // Discovery only: no ResourceSlice read, no rule written, in any version.
    expect(api.requests.filter((r) => /resourceslices|devicetaintrules/.test(r.path))).toEqual([]);
    const text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_gpu_quarantine_enforced")).toBe(0);
    expect(metric(text, "proofwatch_quarantine_gpus_not_enforced")).toBe(1);
  });
});

describe("--device-taint-effect", () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = workspace();
  });
  afterAll(() => ws?.remove());
  const config = (actions: object) => {
    const file = join(ws.dir, "config.json");
    writeFileSync(file, JSON.stringify({ actions }));
    return file;
  };
  const parse = (...argv: string[]) =>
    parseServiceArgs(["--db", ws.db, "--fleet-size", "8", ...argv]) as QuarantineOptions;

  it("sets the effect of the kubernetes action, over the config file's", () => {
    const file = config({ kubernetes: { nodeName: "host", deviceTaintEffect: "NoSchedule" } });
    expect(parse("--config", file).actions.kubernetes?.deviceTaintEffect).toBe("NoSchedule");
    expect(
      parse("--config", file, "--device-taint-effect", "NoExecute").actions.kubernetes,
    ).toEqual({ nodeName: "host", deviceTaintEffect: "NoExecute" });
  });

  it("refuses an effect device taints do not have, and a configuration without the action", () => {
    const file = config({ kubernetes: {} });
    expect(() => parse("--config", file, "--device-taint-effect", "PreferNoSchedule")).toThrow(
      "--device-taint-effect must be one of NoSchedule, NoExecute",
    );
    expect(() =>
      parse("--quarantine-file", join(ws.dir, "q.json"), "--device-taint-effect", "NoExecute"),
    ).toThrow("--device-taint-effect needs the kubernetes action");
  });
});
