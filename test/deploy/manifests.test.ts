// deploy/: the generated manifests match their sources, every manifest parses and has what
// its kind needs, the pieces point at each other (selectors, ports, names), every service is
// started with credentials (a web configuration from a Secret or a systemd credential, and
// arguments its own command line accepts), the PrometheusRule holds exactly the rules of
// alerts/, and the systemd units pass `systemd-analyze verify`.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { parseDuration } from "../../common/duration.js";
import { packageRoot } from "../../common/package-root.js";
import { loadWebConfig } from "../../common/web/config.js";
import { NAMESPACE, renderAll } from "../../deploy/src/render.js";
import { parseProvers } from "../../verifier/src/attribution.js";
import { modelType, unknownFields } from "./unknown-fields.js";
import {
  flagValue,
  insecure,
  type Json,
  matches,
  mountedFile,
  PARSERS,
  type PodSpec,
} from "./workloads.js";

const root = packageRoot();
const k8sDir = join(root, "deploy/kubernetes");
const systemdDir = join(root, "deploy/systemd");

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Json;
  data?: Record<string, string>;
  [key: string]: unknown;
}

const API_VERSIONS: Record<string, string> = {
  Namespace: "v1",
  Service: "v1",
  ServiceAccount: "v1",
  ConfigMap: "v1",
  Secret: "v1",
  PersistentVolumeClaim: "v1",
  DaemonSet: "apps/v1",
  Deployment: "apps/v1",
  ClusterRole: "rbac.authorization.k8s.io/v1",
  ClusterRoleBinding: "rbac.authorization.k8s.io/v1",
  ServiceMonitor: "monitoring.coreos.com/v1",
  PrometheusRule: "monitoring.coreos.com/v1",
  Kustomization: "kustomize.config.k8s.io/v1beta1",
};
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "Kustomization"]);

function loadManifests(): Manifest[] {
  const manifests: Manifest[] = [];
  for (const file of readdirSync(k8sDir).filter((name) => name.endsWith(".yaml"))) {
    for (const doc of parseAllDocuments(readFileSync(join(k8sDir, file), "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.join("; ")}`);
      const value = doc.toJS() as Manifest | null;
      if (value !== null) manifests.push({ ...value, file });
    }
  }
  return manifests;
}

const manifests = loadManifests();
/** The Secrets the operator creates: one document per `*.example.yaml`, not applied by `-k`. */
const exampleSecrets = manifests.filter(
  (m) => m.kind === "Secret" && m.file.endsWith(".example.yaml"),
);
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const named = (kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

interface Workload {
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}
const workload = (m: Manifest) => m.spec as unknown as Workload;
const workloads = () => [...byKind("DaemonSet"), ...byKind("Deployment")];

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** An example's placeholders (`sha256:REPLACE-…`): not hashes, so the file is refused. */
const PLACEHOLDER = /sha256:REPLACE[-A-Z0-9]*/g;

const scratch = mkdtempSync(join(tmpdir(), "proofwatch-deploy-args-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The files of a ConfigMap shipped here or a Secret an example shows, by key. */
function volumeFiles(volume: Json): Record<string, string> | undefined {
  const configMap = volume.configMap as { name: string } | undefined;
  if (configMap)
    return manifests.find((m) => m.kind === "ConfigMap" && m.metadata.name === configMap.name)
      ?.data;
  const secret = volume.secret as { secretName: string } | undefined;
  const example = exampleSecrets.find((m) => m.metadata.name === secret?.secretName);
  return example?.stringData as Record<string, string> | undefined;
}

describe("deploy/kubernetes", () => {
  it("has the generated files as `npm run deploy:render` writes them", () => {
    for (const [name, text] of renderAll()) {
      expect(
        readFileSync(join(k8sDir, name), "utf8") === text,
        `deploy/kubernetes/${name} is stale: run \`npm run deploy:render\` and commit it`,
      ).toBe(true);
    }
  });

  it("parses into manifests with a known kind, its apiVersion, a name and the namespace", () => {
    expect(manifests.length).toBeGreaterThan(15);
    for (const m of manifests) {
      const where = `${m.file} ${m.kind} ${m.metadata?.name}`;
      expect(API_VERSIONS[m.kind], `${where}: unexpected kind`).toBeDefined();
      expect(m.apiVersion, where).toBe(API_VERSIONS[m.kind]);
      if (m.kind === "Kustomization") continue;
      const { file: _, ...object } = m;
      const type = modelType(m.apiVersion, m.kind);
      expect(
        type ? unknownFields(object, type) : unknownFields(m.metadata, "V1ObjectMeta", ".metadata"),
        `${where}: fields Kubernetes does not define`,
      ).toEqual([]);
      expect(m.metadata?.name, where).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      if (CLUSTER_SCOPED.has(m.kind)) expect(m.metadata.namespace, where).toBeUndefined();
      else expect(m.metadata.namespace, where).toBe(NAMESPACE);
    }
  });

  it("lists every manifest but the Secret examples in kustomization.yaml", () => {
    const [kustomization] = byKind("Kustomization") as unknown as Array<{ resources: string[] }>;
    const files = readdirSync(k8sDir).filter(
      (name) => name.endsWith(".yaml") && name !== "kustomization.yaml",
    );
    expect([...(kustomization?.resources ?? [])].sort()).toEqual(
      files.filter((name) => !name.endsWith(".example.yaml")).sort(),
    );
  });

  it("runs each workload's pods under its selector, with an image and hardened containers", () => {
    const workloads = [...byKind("DaemonSet"), ...byKind("Deployment")];
    expect(workloads.map((m) => m.metadata.name).sort()).toEqual([
      "proofwatch-exporter",
      "proofwatch-quarantine",
      "proofwatch-verifier",
    ]);
    for (const m of workloads) {
      const spec = workload(m);
      expect(
        matches(spec.selector.matchLabels, spec.template.metadata.labels),
        m.metadata.name,
      ).toBe(true);
      expect(spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
      for (const container of spec.template.spec.containers) {
        expect(container.image).toMatch(/^ghcr\.io\/proofwatch\/proofwatch:/);
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
        expect(container.securityContext?.privileged ?? false).toBe(false);
        // Every mount has a volume.
        const volumes = new Set((spec.template.spec.volumes ?? []).map((v) => v.name));
        for (const mount of container.volumeMounts ?? []) expect(volumes).toContain(mount.name);
      }
    }
  });

  it("runs the exporter on GPU nodes through the NVIDIA runtime, unprivileged, on 9840", () => {
    const pod = workload(named("DaemonSet", "proofwatch-exporter")).template.spec;
    const [container] = pod.containers;
    expect(pod.runtimeClassName).toBe("nvidia");
    expect(pod.tolerations).toContainEqual(
      expect.objectContaining({ key: "nvidia.com/gpu", operator: "Exists" }),
    );
    expect(pod.tolerations).toContainEqual(
      expect.objectContaining({ key: "proofwatch.dev/quarantined" }),
    );
    expect(Object.keys(pod.nodeSelector ?? {})).toContain("nvidia.com/gpu.present");
    expect(container?.args?.slice(0, 1)).toEqual(["exporter"]);
    expect(container?.env).toContainEqual({ name: "NVIDIA_VISIBLE_DEVICES", value: "all" });
    expect(container?.env).toContainEqual({ name: "NVIDIA_DRIVER_CAPABILITIES", value: "utility" });
    expect(container?.ports).toContainEqual({
      name: "metrics",
      containerPort: 9840,
      protocol: "TCP",
    });
  });

  it("gives the verifier and quarantine their volume, Service and port", () => {
    for (const [name, port] of [
      ["proofwatch-verifier", 9841],
      ["proofwatch-quarantine", 9842],
    ] as const) {
      const deployment = named("Deployment", name);
      const spec = deployment.spec as unknown as Workload & { replicas: number; strategy: Json };
      // SQLite on a ReadWriteOnce volume: one pod, never two at once.
      expect(spec.replicas).toBe(1);
      expect(spec.strategy).toEqual({ type: "Recreate" });
      const claim = (spec.template.spec.volumes ?? []).find((v) => "persistentVolumeClaim" in v);
      expect(claim?.persistentVolumeClaim).toEqual({ claimName: name });
      named("PersistentVolumeClaim", name);
      const [container] = spec.template.spec.containers;
      expect(container?.args?.[0]).toBe(name.replace("proofwatch-", ""));
      expect(container?.args).toContain(`0.0.0.0:${port}`);
      const service = named("Service", name).spec as {
        selector: Record<string, string>;
        ports: Array<{ port: number; targetPort: string }>;
      };
      expect(matches(service.selector, spec.template.metadata.labels)).toBe(true);
      expect(service.ports[0]?.port).toBe(port);
      expect(container?.ports?.map((p) => p.name)).toContain(service.ports[0]?.targetPort);
    }
  });

  it("lets the quarantine service get and patch nodes and keep DRA device taints, nothing else", () => {
    const pod = workload(named("Deployment", "proofwatch-quarantine")).template.spec;
    expect(pod.serviceAccountName).toBe("proofwatch-quarantine");
    named("ServiceAccount", "proofwatch-quarantine");
    expect(named("ClusterRole", "proofwatch-quarantine").rules).toEqual([
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
      // What test/quarantine/kubernetes-dra.test.ts sees the action use, exactly.
      { apiGroups: ["resource.k8s.io"], resources: ["resourceslices"], verbs: ["list"] },
      {
        apiGroups: ["resource.k8s.io"],
        resources: ["devicetaintrules"],
        verbs: ["list", "create", "update", "delete"],
      },
    ]);
    expect(named("ClusterRoleBinding", "proofwatch-quarantine")).toMatchObject({
      roleRef: { kind: "ClusterRole", name: "proofwatch-quarantine" },
      subjects: [{ kind: "ServiceAccount", name: "proofwatch-quarantine", namespace: NAMESPACE }],
    });
    const config = parse(
      named("ConfigMap", "proofwatch-quarantine").data?.["quarantine.json"] ?? "",
    );
    expect(config).toMatchObject({ actions: { kubernetes: { nodeName: "host" } } });
  });

  it("starts every service with a web configuration from an operator-made Secret, never open", () => {
    expect(workloads().length).toBe(3);
    for (const m of workloads()) {
      const pod = workload(m).template.spec;
      for (const container of pod.containers) {
        const where = `${m.metadata.name}/${container.name}`;
        const args = container.args ?? [];
        expect(insecure(args), where).toBe(false);
        const files = [flagValue(args, "--web.config.file")];
        // The verifier binds each prover identity to its hosts.
        if (args[0] === "verifier") files.push(flagValue(args, "--provers"));
        for (const file of files) {
          expect(file, `${where}: --web.config.file and (verifier) --provers`).toBeDefined();
          const { volume, key } = mountedFile(pod, container, file as string);
          const secret = volume?.secret as { secretName: string; optional?: boolean } | undefined;
          // A Secret, and a required one: a missing file must stop the pod, not open it.
          expect(secret?.secretName, `${where}: ${file} from a Secret`).toBeDefined();
          expect(secret?.optional ?? false, where).toBe(false);
          const example = exampleSecrets.find((e) => e.metadata.name === secret?.secretName);
          expect(example, `${where}: an example of ${secret?.secretName}`).toBeDefined();
          expect(Object.keys((example?.stringData as Json) ?? {}), where).toContain(key);
        }
      }
    }
  });

  it("passes each service only arguments its own command line takes", () => {
    for (const m of workloads()) {
      const pod = workload(m).template.spec;
      for (const container of pod.containers) {
        const [command, ...argv] = container.args ?? [];
        const parser = PARSERS[command ?? ""];
        expect(parser, `${m.metadata.name}: command ${command}`).toBeDefined();
        // Files a parser reads (the quarantine's --config) come from the volumes, as mounted.
        const root = join(scratch, m.metadata.name);
        for (const mount of container.volumeMounts ?? []) {
          const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
          for (const [key, text] of Object.entries((volume && volumeFiles(volume)) ?? {})) {
            const file = join(root, mount.mountPath, key);
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(file, text);
          }
        }
        const local = argv.map((arg) => (arg.startsWith("/") ? join(root, arg) : arg));
        expect(() => parser?.(local), m.metadata.name).not.toThrow();
      }
    }
  });

  it("shows each web configuration Secret in an example that loads once filled in, and not before", () => {
    expect(exampleSecrets.map((m) => m.metadata.name).sort()).toEqual([
      "proofwatch-exporter-web",
      "proofwatch-quarantine-web",
      "proofwatch-verifier-web",
    ]);
    for (const example of exampleSecrets) {
      const name = example.metadata.name;
      const text = (example.stringData as Record<string, string>)["web.yml"] ?? "";
      const file = join(scratch, `${name}.web.yml`);
      writeFileSync(file, text);
      const placeholders = text.match(PLACEHOLDER) ?? [];
      if (name === "proofwatch-exporter-web") {
        // It lists no credentials (the exporter takes no writes), so it may be applied as is.
        expect(placeholders, name).toEqual([]);
      } else {
        // Applied unchanged, it must keep the service from starting rather than let anyone in.
        expect(placeholders.length, name).toBeGreaterThan(0);
        expect(() => loadWebConfig(file, parseDuration), name).toThrow(/sha256:<64 hex digits>/);
        writeFileSync(
          file,
          text.replace(PLACEHOLDER, (placeholder) => `sha256:${sha256(placeholder)}`),
        );
      }
      const config = loadWebConfig(file, parseDuration);
      if (name !== "proofwatch-exporter-web") {
        expect(config.bearerTokens.size, name).toBeGreaterThan(0);
      }
    }
  });

  it("binds each prover identity of the verifier's example to its own node alone", () => {
    const data = named("Secret", "proofwatch-verifier-web").stringData as Record<string, string>;
    const tokens = Object.keys(
      (parse(data["web.yml"] ?? "") as { bearer_tokens: Record<string, string> }).bearer_tokens,
    );
    const rules = parseProvers(data["provers.yml"] ?? "");
    // Every identity that may send proofs is bound, each to one host named like it: one
    // identity per node (docs/security.md), never a token shared by the fleet.
    expect(rules.map((rule) => rule.identity).sort()).toEqual([...tokens].sort());
    for (const rule of rules) expect(rule.hosts, rule.identity).toEqual([rule.identity]);
  });

  it("scrapes each Service with a ServiceMonitor on a port it has", () => {
    const monitors = byKind("ServiceMonitor");
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
      "proofwatch-exporter",
      "proofwatch-quarantine",
      "proofwatch-verifier",
    ]);
    for (const monitor of monitors) {
      const spec = monitor.spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: Array<{ port: string }>;
      };
      const services = byKind("Service").filter((s) =>
        matches(spec.selector.matchLabels, s.metadata.labels),
      );
      expect(services.map((s) => s.metadata.name)).toEqual([monitor.metadata.name]);
      const ports = (services[0]?.spec as { ports: Array<{ name: string }> } | undefined)?.ports;
      for (const endpoint of spec.endpoints) {
        expect(ports?.map((p) => p.name)).toContain(endpoint.port);
      }
    }
    // The exporter's job name is one ProofwatchExporterDown recognises (alerts/README.md).
    const exporterJob = named("Service", "proofwatch-exporter").metadata.labels?.[
      "app.kubernetes.io/name"
    ];
    expect(exporterJob).toMatch(/^(proofwatch|.*proofwatch.*exporter.*)$/);
  });

  it("holds exactly the rules of alerts/*.rules.yml in the PrometheusRule", () => {
    const rule = named("PrometheusRule", "proofwatch").spec as {
      groups: Array<{ name: string; rules: Json[] }>;
    };
    const shipped = readdirSync(join(root, "alerts"))
      .filter((name) => name.endsWith(".rules.yml"))
      .flatMap(
        (name) =>
          (
            parse(readFileSync(join(root, "alerts", name), "utf8")) as {
              groups: Array<{ name: string; rules: Json[] }>;
            }
          ).groups,
      );
    expect(rule.groups.map((g) => g.name).sort()).toEqual(shipped.map((g) => g.name).sort());
    let compared = 0;
    for (const group of shipped) {
      const ours = rule.groups.find((g) => g.name === group.name);
      expect(ours?.rules.length, group.name).toBe(group.rules.length);
      for (const [index, expected] of group.rules.entries()) {
        expect(ours?.rules[index], `${group.name} rule ${index}`).toEqual(expected);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(18);
  });

  it("loads the PrometheusRule's groups into promtool", () => {
    const dir = mkdtempSync(join(tmpdir(), "proofwatch-deploy-"));
    try {
      const file = join(dir, "rules.yml");
      const rule = named("PrometheusRule", "proofwatch");
      writeFileSync(file, JSON.stringify(rule.spec));
      const result = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
      if (result.error) throw result.error;
      expect(result.status, result.stdout + result.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ships each dashboard as a ConfigMap for Grafana's sidecar, equal to dashboards/json", () => {
    const dashboards = readdirSync(join(root, "dashboards/json")).filter((n) =>
      n.endsWith(".json"),
    );
    const maps = byKind("ConfigMap").filter((m) => m.metadata.labels?.grafana_dashboard === "1");
    expect(maps.length).toBe(dashboards.length);
    for (const name of dashboards) {
      const map = maps.find((m) => m.data?.[name] !== undefined);
      expect(map?.data?.[name], name).toBe(
        readFileSync(join(root, "dashboards/json", name), "utf8"),
      );
    }
  });
});

describe("deploy/systemd", () => {
  const units = readdirSync(systemdDir).filter((name) => name.endsWith(".service"));
  const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
  const skipReason = analyze.error ? "systemd-analyze is not installed" : null;
  if (skipReason) console.warn(`SKIPPED systemd-analyze verify: ${skipReason}`);

  it("has a unit for each service, run through `proofwatch`, hardened, with state where needed", () => {
    expect(units.sort()).toEqual([
      "proofwatch-exporter.service",
      "proofwatch-quarantine.service",
      "proofwatch-verifier.service",
    ]);
    for (const unit of units) {
      const text = readFileSync(join(systemdDir, unit), "utf8");
      const command = unit.replace(/^proofwatch-|\.service$/g, "");
      expect(text).toMatch(new RegExp(`^ExecStart=/usr/bin/env proofwatch ${command} `, "m"));
      for (const line of ["DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes"]) {
        expect(text, unit).toContain(`\n${line}\n`);
      }
      if (command !== "exporter") {
        expect(text).toContain(`\nStateDirectory=proofwatch-${command}\n`);
        expect(text).toContain(`--db /var/lib/proofwatch-${command}/${command}.db`);
      }
    }
  });

  it("starts each service with its web configuration as a credential, never open, with arguments its command line takes", () => {
    for (const unit of units) {
      const text = readFileSync(join(systemdDir, unit), "utf8");
      const [, command = "", rest = ""] =
        /^ExecStart=\/usr\/bin\/env proofwatch (\S+) (.*)$/m.exec(text) ?? [];
      // Environment= defaults in place of $NAME and ${NAME}, a folder in place of %d (systemd's
      // credentials folder), as systemd would run it with no /etc/default file.
      const env = new Map(
        [...text.matchAll(/^Environment="?([A-Z_]+)=(.*?)"?$/gm)].map((m) => [m[1], m[2] ?? ""]),
      );
      const credentials = join(scratch, unit);
      const argv = rest
        .replace(/\$\{?([A-Z_]+)\}?/g, (_, name: string) => env.get(name) ?? "")
        .replaceAll("%d", credentials)
        .split(/\s+/)
        .filter((arg) => arg !== "");
      const loaded = [...text.matchAll(/^LoadCredential=([^:\n]+):\/etc\/proofwatch\/\S+$/gm)].map(
        (m) => m[1],
      );
      expect(insecure(argv), unit).toBe(false);
      expect(flagValue(argv, "--web.config.file"), unit).toBe(join(credentials, "web.yml"));
      expect(loaded, unit).toContain("web.yml");
      if (command === "verifier") {
        expect(flagValue(argv, "--provers"), unit).toBe(join(credentials, "provers.yml"));
        expect(loaded, unit).toContain("provers.yml");
      }
      // The credentials as the Kubernetes examples show them, for a parser that reads one.
      const example = exampleSecrets.find((m) => m.metadata.name === `proofwatch-${command}-web`);
      mkdirSync(credentials, { recursive: true });
      for (const [key, value] of Object.entries((example?.stringData as Json) ?? {})) {
        writeFileSync(join(credentials, key), String(value));
      }
      const parser = PARSERS[command];
      expect(parser, unit).toBeDefined();
      expect(() => parser?.(argv), unit).not.toThrow();
    }
  });

  it.skipIf(skipReason !== null)(
    `passes systemd-analyze verify${skipReason ? ` (skipped: ${skipReason})` : ""}`,
    () => {
      const result = spawnSync(
        "systemd-analyze",
        ["verify", ...units.map((unit) => join(systemdDir, unit))],
        { encoding: "utf8" },
      );
      expect(result.status, result.stderr).toBe(0);
      // verify reports unknown keys and bad values as warnings with status 0.
      expect(result.stderr.trim()).toBe("");
    },
  );
});
