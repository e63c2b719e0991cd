// deploy/helm/proofwatch with the real helm binary (test/deploy/helm-binary.ts): `helm lint`,
// and `helm template` with the default values and others. Every rendered object must validate
// against the Kubernetes schemas (kubernetes-models) or the Prometheus Operator's
// (@kubernetes-models/prometheus-operator); every container's arguments must parse with its
// service's own command line and carry its credentials from a required Secret; the rules and
// dashboards must be those of alerts/ and dashboards/json/; and the default install must run
// each service with the arguments the kustomize manifests give it. Nothing is applied to a
// cluster.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { DaemonSet, Deployment } from "kubernetes-models/apps/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, PersistentVolumeClaim, Service, ServiceAccount } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { packageRoot } from "../../common/package-root.js";
import { HELM_CHART, renderHelmFiles } from "../../deploy/src/render.js";
import { helmBinary } from "./helm-binary.js";
import { modelType, unknownFields } from "./unknown-fields.js";
import {
  type Container,
  flagValue,
  insecure,
  type Json,
  matches,
  mountedFile,
  PARSERS,
  type PodSpec,
} from "./workloads.js";

const root = packageRoot();
const chart = join(root, HELM_CHART);

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Json;
  data?: Record<string, string>;
  [key: string]: unknown;
}
interface Workload {
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}
const workload = (m: Manifest) => m.spec as unknown as Workload;

/** A model per kind: its constructor takes the object, validate() checks it against the schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/DaemonSet": DaemonSet,
  "apps/v1/Deployment": Deployment,
  "v1/ConfigMap": ConfigMap,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
};
const CLUSTER_SCOPED = new Set(["ClusterRole", "ClusterRoleBinding"]);

let helm = "";
const scratch = mkdtempSync(join(tmpdir(), "proofwatch-helm-"));
beforeAll(() => {
  helm = helmBinary();
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runHelm(args: string[]) {
  const result = spawnSync(helm, args, {
    encoding: "utf8",
    // No user configuration, cache or plugins leak in.
    env: {
      ...process.env,
      HELM_CONFIG_HOME: scratch,
      HELM_CACHE_HOME: scratch,
      HELM_DATA_HOME: scratch,
    },
  });
  if (result.error) throw result.error;
  return result;
}

function valuesFile(name: string, values: Json): string {
  const file = join(scratch, `${name}.values.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

interface Case {
  name: string;
  release: string;
  namespace: string;
  values: Json;
}

/** Everything on and changed: the provers on two nodes, the operator's label, other sizes. */
const FULL: Case = {
  name: "full",
  release: "fleet",
  namespace: "gpu-observability",
  values: {
    image: { tag: "0.2.0-rc.1" },
    commonLabels: { team: "zk" },
    monitoring: {
      selectorLabels: { release: "kube-prometheus-stack" },
      dashboards: { folder: "ZK provers" },
    },
    exporter: {
      port: 19840,
      webConfigSecret: "fleet-exporter-web",
      nodeSelector: { "node.kubernetes.io/instance-type": "p5.48xlarge" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
      scrapeInterval: "30s",
      extraArgs: ["--scrape-deadline", "3s"],
    },
    verifier: {
      webConfigSecret: "fleet-verifier-web",
      circuits: {
        configMap: "fleet-circuits",
        items: [{ key: "rollup.vkey.json", path: "rollup/verification_key.json" }],
      },
      persistence: { size: "100Gi", storageClassName: "fast-ssd" },
      nodeSelector: { "node-role.kubernetes.io/control": "" },
      tolerations: [{ key: "control", operator: "Exists", effect: "NoSchedule" }],
    },
    quarantine: {
      webConfigSecret: "fleet-quarantine-web",
      fleetSize: 512,
      config: {
        actions: { kubernetes: { nodeName: "host" } },
        escalateAfter: 2,
      },
      rbac: { create: true },
    },
    prover: {
      enabled: true,
      webConfigSecret: "fleet-prover-web",
      nodes: [{ name: "gpu-node-01" }, { name: "gpu-node-02", tokenSecret: "node-02-token" }],
      gpus: 4,
      onQuarantine: "cancel",
    },
  },
};

/** The exporter alone, without the Operator's objects. */
const EXPORTER_ONLY: Case = {
  name: "exporter-only",
  release: "proofwatch",
  namespace: "monitoring",
  values: {
    verifier: { enabled: false },
    quarantine: { enabled: false },
    monitoring: {
      serviceMonitors: { enabled: false },
      prometheusRule: { enabled: false },
      dashboards: { enabled: false },
    },
  },
};
const DEFAULT: Case = {
  name: "default",
  release: "proofwatch",
  namespace: "proofwatch",
  values: {},
};
/** The default install less pod attribution, as deploy/kubernetes runs the exporter. */
const WITHOUT_POD_RESOURCES: Case = {
  ...DEFAULT,
  name: "without-pod-resources",
  values: { exporter: { podResources: { enabled: false } } },
};
const CASES = [DEFAULT, FULL, EXPORTER_ONLY];

function template(c: Case): Manifest[] {
  const result = runHelm([
    "template",
    c.release,
    chart,
    "--namespace",
    c.namespace,
    "--values",
    valuesFile(c.name, c.values),
  ]);
  expect(result.status, result.stderr).toBe(0);
  return parseAllDocuments(result.stdout).flatMap((doc) => {
    // Duplicate keys and the like are errors here, though Kubernetes' own parser may take them.
    expect(doc.errors.map(String), c.name).toEqual([]);
    const value = doc.toJS() as Manifest | null;
    return value === null ? [] : [value];
  });
}

const rendered = new Map<string, Manifest[]>();
const manifests = (c: Case) => {
  let found = rendered.get(c.name);
  if (!found) {
    found = template(c);
    rendered.set(c.name, found);
  }
  return found;
};
const workloads = (ms: Manifest[]) =>
  ms.filter((m) => m.kind === "DaemonSet" || m.kind === "Deployment");
const names = (ms: Manifest[], kind: string) =>
  ms
    .filter((m) => m.kind === kind)
    .map((m) => m.metadata.name)
    .sort();

describe("deploy/helm/proofwatch", () => {
  it("has the rules and dashboards as `npm run deploy:render` copies them", () => {
    const files = renderHelmFiles();
    for (const [path, text] of files) {
      expect(
        readFileSync(join(root, path), "utf8") === text,
        `${path} is stale: run \`npm run deploy:render\` and commit it`,
      ).toBe(true);
    }
    const shipped = readdirSync(join(chart, "files/dashboards")).map(
      (name) => `${HELM_CHART}/files/dashboards/${name}`,
    );
    expect(
      shipped.filter((path) => !files.has(path)),
      "dashboards no longer in dashboards/json",
    ).toEqual([]);
  });

  it("passes helm lint with the default values and with every other set", () => {
    for (const c of CASES) {
      const result = runHelm([
        "lint",
        chart,
        "--strict",
        "--namespace",
        c.namespace,
        "--values",
        valuesFile(c.name, c.values),
      ]);
      expect(result.status, `${c.name}: ${result.stdout}${result.stderr}`).toBe(0);
    }
  });

  it("packages into a chart that renders as the folder does", () => {
    const out = join(scratch, "package");
    const packed = runHelm(["package", chart, "--destination", out]);
    expect(packed.status, packed.stderr).toBe(0);
    const [archive] = readdirSync(out).filter((name) => name.endsWith(".tgz"));
    expect(archive).toBeDefined();
    const args = (from: string) => [
      "template",
      FULL.release,
      from,
      "--namespace",
      FULL.namespace,
      "--values",
      valuesFile(FULL.name, FULL.values),
    ];
    const fromArchive = runHelm(args(join(out, archive as string)));
    expect(fromArchive.status, fromArchive.stderr).toBe(0);
    expect(fromArchive.stdout).toBe(runHelm(args(chart)).stdout);
    expect(fromArchive.stdout).toContain("kind: PrometheusRule");
  });

  it.each(CASES)("renders only objects that validate against their schema ($name)", (c) => {
    const ms = manifests(c);
    expect(ms.length).toBeGreaterThan(0);
    for (const m of ms) {
      const where = `${c.name}: ${m.kind} ${m.metadata?.name}`;
      const Model = MODELS[`${m.apiVersion}/${m.kind}`];
      expect(Model, `${where}: unexpected ${m.apiVersion} ${m.kind}`).toBeDefined();
      expect(
        () => new (Model as NonNullable<typeof Model>)(m as never).validate(),
        where,
      ).not.toThrow();
      // Custom resources: their metadata at least (kubernetes-models checks their spec's types).
      const type = modelType(m.apiVersion, m.kind);
      expect(
        type ? unknownFields(m, type) : unknownFields(m.metadata, "V1ObjectMeta", ".metadata"),
        `${where}: fields Kubernetes does not define`,
      ).toEqual([]);
      expect(m.metadata.name, where).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      expect(m.metadata.name.length, where).toBeLessThanOrEqual(63);
      if (CLUSTER_SCOPED.has(m.kind)) expect(m.metadata.namespace, where).toBeUndefined();
      else expect(m.metadata.namespace, where).toBe(c.namespace);
      expect(m.metadata.labels?.["app.kubernetes.io/part-of"], where).toBe("proofwatch");
    }
  });

  it("renders the components the values enable, and no Secret", () => {
    const defaults = manifests(DEFAULT);
    expect(names(defaults, "DaemonSet")).toEqual(["proofwatch-exporter"]);
    expect(names(defaults, "Deployment")).toEqual(["proofwatch-quarantine", "proofwatch-verifier"]);
    expect(names(defaults, "ServiceMonitor")).toEqual([
      "proofwatch-exporter",
      "proofwatch-quarantine",
      "proofwatch-verifier",
    ]);
    expect(names(defaults, "PrometheusRule")).toEqual(["proofwatch"]);
    const full = manifests(FULL);
    expect(names(full, "Deployment")).toEqual([
      "fleet-proofwatch-prover-gpu-node-01",
      "fleet-proofwatch-prover-gpu-node-02",
      "fleet-proofwatch-quarantine",
      "fleet-proofwatch-verifier",
    ]);
    expect(names(full, "ServiceMonitor")).toContain("fleet-proofwatch-prover");
    expect(
      manifests(EXPORTER_ONLY)
        .map((m) => `${m.kind}/${m.metadata.name}`)
        .sort(),
    ).toEqual(["DaemonSet/proofwatch-exporter", "Service/proofwatch-exporter"]);
    for (const c of CASES) expect(names(manifests(c), "Secret"), c.name).toEqual([]);
  });

  it.each(CASES)(
    "runs every container hardened, with its credentials from a required Secret ($name)",
    (c) => {
      for (const m of workloads(manifests(c))) {
        const spec = workload(m);
        const pod = spec.template.spec;
        expect(
          matches(spec.selector.matchLabels, spec.template.metadata.labels),
          m.metadata.name,
        ).toBe(true);
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
        for (const container of pod.containers) {
          const where = `${c.name}: ${m.metadata.name}/${container.name}`;
          expect(container.securityContext, where).toMatchObject({
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          });
          const args = container.args ?? [];
          expect(insecure(args), where).toBe(false);
          const files: Array<[string, string]> = [["--web.config.file", "web.yml"]];
          if (args[0] === "verifier") files.push(["--provers", "provers.yml"]);
          if (args[0] === "prover") files.push(["--verifier-token-file", "token"]);
          for (const [flag, key] of files) {
            const file = flagValue(args, flag);
            expect(file, `${where}: ${flag}`).toBeDefined();
            const mounted = mountedFile(pod, container, file as string);
            const secret = mounted.volume?.secret as
              | {
                  secretName?: string;
                  optional?: boolean;
                  items?: Array<{ key: string; path: string }>;
                }
              | undefined;
            // A Secret, and a required one: a missing file must stop the pod, not open it.
            expect(secret?.secretName, `${where}: ${flag} from a Secret`).toMatch(/^[a-z0-9]/);
            expect(secret?.optional ?? false, where).toBe(false);
            const item = secret?.items?.find((i) => i.path === mounted.key);
            expect(item?.key ?? mounted.key, where).toBe(key);
          }
        }
      }
    },
  );

  it.each(CASES)("passes each service only arguments its own command line takes ($name)", (c) => {
    const ms = manifests(c);
    for (const m of workloads(ms)) {
      const pod = workload(m).template.spec;
      for (const container of pod.containers) {
        const [command, ...argv] = container.args ?? [];
        const parser = PARSERS[command ?? ""];
        expect(parser, `${m.metadata.name}: command ${command}`).toBeDefined();
        // Files a parser reads (the quarantine's --config) come from the chart's ConfigMaps.
        const dir = join(scratch, c.name, m.metadata.name);
        for (const mount of container.volumeMounts ?? []) {
          const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
          const configMap = (volume?.configMap as { name: string } | undefined)?.name;
          const data = ms.find(
            (x) => x.kind === "ConfigMap" && x.metadata.name === configMap,
          )?.data;
          for (const [key, text] of Object.entries(data ?? {})) {
            const file = join(dir, mount.mountPath, key);
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(file, text);
          }
        }
        const local = argv.map((arg) => (arg.startsWith("/") ? join(dir, arg) : arg));
        expect(() => parser?.(local), `${c.name}: ${m.metadata.name}`).not.toThrow();
      }
    }
  });

  // deploy/kubernetes is the reference the chart mirrors: a change there (RBAC, a mount, an
  // argument) fails here until the chart follows.
  const kustomize = () =>
    readdirSync(join(root, "deploy/kubernetes"))
      .filter((name) => name.endsWith(".yaml"))
      .flatMap((name) =>
        parseAllDocuments(readFileSync(join(root, "deploy/kubernetes", name), "utf8")).map(
          (doc) => doc.toJS() as Manifest,
        ),
      )
      .filter((m) => m !== null);
  const find = (ms: Manifest[], kind: string, name: string) => {
    const found = ms.find((m) => m.kind === kind && m.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name}`);
    return found;
  };

  it("gives the default install the RBAC, quarantine config and scrape settings of deploy/kubernetes", () => {
    const ours = manifests(DEFAULT);
    const theirs = kustomize();
    const role = "proofwatch-quarantine";
    expect(find(ours, "ClusterRole", role).rules).toEqual(find(theirs, "ClusterRole", role).rules);
    expect(find(ours, "ClusterRoleBinding", role).subjects).toEqual(
      find(theirs, "ClusterRoleBinding", role).subjects,
    );
    const config = (ms: Manifest[]) =>
      JSON.parse(find(ms, "ConfigMap", role).data?.["quarantine.json"] ?? "null");
    expect(config(ours)).toEqual(config(theirs));
    for (const name of ["proofwatch-exporter", "proofwatch-verifier", "proofwatch-quarantine"]) {
      const spec = (ms: Manifest[]) => {
        const {
          selector: _,
          namespaceSelector: __,
          ...rest
        } = find(ms, "ServiceMonitor", name).spec as Json;
        return rest;
      };
      expect(spec(ours), name).toEqual(spec(theirs));
      for (const kind of ["Service", "PersistentVolumeClaim"]) {
        const theirsOne = theirs.find((m) => m.kind === kind && m.metadata.name === name);
        if (!theirsOne) continue;
        const { selector: _s, ...ourSpec } = find(ours, kind, name).spec as Json;
        const { selector: _t, ...theirSpec } = theirsOne.spec as Json;
        expect(ourSpec, `${kind} ${name}`).toEqual(theirSpec);
      }
    }
  });

  it("starts the default install's services with the arguments of deploy/kubernetes", () => {
    const theirsAll = kustomize();
    // deploy/kubernetes' namespace enforces Pod Security "restricted", which forbids the
    // kubelet socket's hostPath: pod attribution is the chart's alone
    // (helm-pod-resources.test.ts checks it).
    const ours = workloads(manifests(WITHOUT_POD_RESOURCES));
    expect(ours.length).toBe(3);
    for (const m of ours) {
      const theirs = workloads(theirsAll).find((k) => k.metadata.name === m.metadata.name);
      expect(theirs, m.metadata.name).toBeDefined();
      const containers = (w: Manifest) =>
        workload(w).template.spec.containers.map((x: Container) => ({
          name: x.name,
          args: x.args,
          ports: x.ports,
          volumeMounts: x.volumeMounts,
          securityContext: { privileged: false, ...x.securityContext },
        }));
      expect(containers(m), m.metadata.name).toEqual(containers(theirs as Manifest));
      const pod = (w: Manifest) => {
        const {
          containers: _,
          imagePullSecrets: __,
          serviceAccountName: ___,
          ...rest
        } = workload(w).template.spec as PodSpec & Json;
        return rest;
      };
      const ourPod = pod(m);
      const theirPod = pod(theirs as Manifest);
      // The PVC and ConfigMap names carry the release's name; the rest is the same.
      const volumeKinds = (p: Json) =>
        (p.volumes as Array<Json>).map((v) => Object.keys(v).sort().join(","));
      expect(volumeKinds(ourPod), m.metadata.name).toEqual(volumeKinds(theirPod));
      const { volumes: _v1, ...ourRest } = ourPod;
      const { volumes: _v2, ...theirRest } = theirPod;
      expect(ourRest, m.metadata.name).toEqual(theirRest);
    }
  });

  it("refuses to render a service without its credentials Secret, or provers without their nodes", () => {
    for (const component of ["exporter", "verifier", "quarantine", "prover"]) {
      const values = valuesFile(`no-${component}-secret`, {
        prover: { nodes: [{ name: "gpu-node-01" }] },
      });
      const unset = `${component}.webConfigSecret=`;
      // values.schema.json refuses it first; the template's own `required` still holds where
      // the schema is skipped.
      const checked = runHelm([
        "template",
        "proofwatch",
        chart,
        "--values",
        values,
        "--set",
        unset,
      ]);
      expect(checked.status, component).not.toBe(0);
      expect(checked.stderr, component).toContain(`/${component}/webConfigSecret`);
      const skipped = runHelm([
        "template",
        "proofwatch",
        chart,
        "--skip-schema-validation",
        "--values",
        values,
        "--set",
        unset,
        "--set",
        `${component}.enabled=true`,
      ]);
      expect(skipped.status, component).not.toBe(0);
      expect(skipped.stderr, component).toContain(`${component}.webConfigSecret is required`);
    }
    const provers = runHelm(["template", "proofwatch", chart, "--set", "prover.enabled=true"]);
    expect(provers.status).not.toBe(0);
    expect(provers.stderr).toContain("prover.nodes is empty");
  });

  it("refuses values it does not know or cannot use", () => {
    for (const [set, message] of [
      ["exporter.nodeSelectr.a=b", "additional properties 'nodeSelectr' not allowed"],
      ["quarantine.fleetSize=0", "/quarantine/fleetSize"],
      ["prover.onQuarantine=drop", "/prover/onQuarantine"],
    ] as const) {
      const result = runHelm(["template", "proofwatch", chart, "--set", set]);
      expect(result.status, set).not.toBe(0);
      expect(result.stderr, set).toContain(message);
    }
  });

  it("pins each prover to its node, with that node's token alone and its GPUs", () => {
    const provers = manifests(FULL).filter(
      (m) =>
        m.kind === "Deployment" &&
        m.metadata.labels?.["app.kubernetes.io/name"] === "proofwatch-prover",
    );
    expect(provers.length).toBe(2);
    const tokens = new Set<string>();
    for (const m of provers) {
      const node = m.metadata.labels?.["proofwatch.dev/node"] as string;
      const pod = workload(m).template.spec;
      const [container] = pod.containers;
      expect(pod.nodeSelector?.["kubernetes.io/hostname"]).toBe(node);
      // The identity the verifier's --provers binds is the node; the alerts' host is too.
      expect(flagValue(container?.args ?? [], "--host")).toBe(node);
      expect(flagValue(container?.args ?? [], "--verifier")).toBe(
        "http://fleet-proofwatch-verifier.gpu-observability.svc:9841",
      );
      expect(flagValue(container?.args ?? [], "--quarantine-url")).toBe(
        "http://fleet-proofwatch-quarantine.gpu-observability.svc:9842/v1/quarantine",
      );
      expect(container?.resources?.limits?.["nvidia.com/gpu"]).toBe(4);
      const token = pod.volumes?.find((v) => v.name === "verifier-token")?.secret as {
        secretName: string;
      };
      tokens.add(token.secretName);
    }
    expect([...tokens].sort()).toEqual(["node-02-token", "proofwatch-prover-token-gpu-node-01"]);
  });

  it.each([DEFAULT, FULL])(
    "scrapes each Service with a ServiceMonitor the Operator selects ($name)",
    (c) => {
      const ms = manifests(c);
      const services = ms.filter((m) => m.kind === "Service");
      const monitors = ms.filter((m) => m.kind === "ServiceMonitor");
      expect(monitors.length).toBeGreaterThanOrEqual(3);
      for (const monitor of monitors) {
        const spec = monitor.spec as {
          jobLabel: string;
          selector: { matchLabels: Record<string, string> };
          namespaceSelector: { matchNames: string[] };
          endpoints: Array<{ port: string; relabelings?: Array<{ replacement?: string }> }>;
        };
        expect(
          matches(
            ((c.values.monitoring as Json | undefined)?.selectorLabels as Record<string, string>) ??
              {},
            monitor.metadata.labels,
          ),
        ).toBe(true);
        expect(spec.namespaceSelector.matchNames).toEqual([c.namespace]);
        const selected = services.filter((s) =>
          matches(spec.selector.matchLabels, s.metadata.labels),
        );
        expect(selected.length, monitor.metadata.name).toBeGreaterThan(0);
        for (const service of selected) {
          const ports = (service.spec as { ports: Array<{ name: string; port: number }> }).ports;
          for (const endpoint of spec.endpoints)
            expect(ports.map((p) => p.name)).toContain(endpoint.port);
        }
        // The job is the name label: the exporter's is one ProofwatchExporterDown recognises.
        const job = selected[0]?.metadata.labels?.[spec.jobLabel];
        expect(job).toMatch(/^proofwatch-(exporter|verifier|quarantine|prover)$/);
        if (job === "proofwatch-exporter") {
          const port = (selected[0] as Manifest).spec?.ports as Array<{ port: number }>;
          expect(spec.endpoints[0]?.relabelings?.[0]?.replacement).toBe(`$1:${port[0]?.port}`);
        }
      }
    },
  );

  it.each([DEFAULT, FULL])(
    "holds the rules of alerts/ and the dashboards of dashboards/json ($name)",
    (c) => {
      const ms = manifests(c);
      const [rule] = ms.filter((m) => m.kind === "PrometheusRule");
      const groups = readdirSync(join(root, "alerts"))
        .filter((name) => name.endsWith(".rules.yml"))
        .sort()
        .flatMap(
          (name) =>
            (parse(readFileSync(join(root, "alerts", name), "utf8")) as { groups: Json[] }).groups,
        );
      expect(groups.length).toBeGreaterThan(0);
      expect((rule as Manifest).spec?.groups).toEqual(groups);
      expect(
        matches(
          ((c.values.monitoring as Json | undefined)?.selectorLabels as Record<string, string>) ??
            {},
          rule?.metadata.labels,
        ),
      ).toBe(true);
      const dashboards = readdirSync(join(root, "dashboards/json")).filter((name) =>
        name.endsWith(".json"),
      );
      const maps = ms.filter(
        (m) => m.kind === "ConfigMap" && m.metadata.labels?.grafana_dashboard === "1",
      );
      expect(maps.length).toBe(dashboards.length);
      for (const name of dashboards) {
        const map = maps.find((m) => m.data?.[name] !== undefined);
        expect(map?.data?.[name], name).toBe(
          readFileSync(join(root, "dashboards/json", name), "utf8"),
        );
        expect(map?.metadata.annotations?.grafana_folder).toBe(
          ((c.values.monitoring as Json | undefined)?.dashboards as Json | undefined)?.folder ??
            "proofwatch",
        );
      }
    },
  );
});
