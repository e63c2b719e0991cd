// A stand-in for the Kubernetes API server (no API server can run here): the nodes API the
// `kubernetes` action patches (what test/quarantine/kubernetes.test.ts drives, with no
// resource.k8s.io: a device-plugin cluster), and resource.k8s.io as a cluster with Dynamic Resource
// Allocation serves it — the group's discovery documents, ResourceSlices (read-only, as a
// DRA driver publishes them) and DeviceTaintRules. It answers as the API server does
// (Status bodies, 404/409/422, resourceVersion preconditions, field and label selectors it
// supports) and checks every DeviceTaintRule it is sent against the OpenAPI schema kept in
// fixtures/device-taint-rule.schema.json; what fails is refused (422) and recorded.
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import { Ajv } from "ajv";
import { closeServer } from "../../common/listen.js";
import { unknownFields } from "../deploy/unknown-fields.js";
import { readBody } from "../helpers/http.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const API_TOKEN = "kube-token-0123456789";
const GROUP = "resource.k8s.io";

/** A version of resource.k8s.io and the kinds it serves. */
export interface ServedVersion {
  version: string;
  kinds: Array<"DeviceTaintRule" | "ResourceSlice">;
}

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Json;
}

/** RFC 7386 JSON merge patch, as the API server applies application/merge-patch+json. */
function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const result: JsonObject =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

const validateRule = new Ajv({ allErrors: true, strict: true }).compile(
  JSON.parse(
    readFileSync(new URL("./fixtures/device-taint-rule.schema.json", import.meta.url), "utf8"),
  ),
);
// apimachinery's validation of names and labels, which the OpenAPI schema does not carry.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Why the API server would refuse this DeviceTaintRule, or an empty list. */
export function ruleProblems(body: Json, apiVersion: string): string[] {
  const problems: string[] = [];
  if (!validateRule(body)) {
    for (const e of validateRule.errors ?? []) problems.push(`${e.instancePath} ${e.message}`);
  }
  const object = (body ?? {}) as { apiVersion?: string; metadata?: JsonObject };
  if (object.apiVersion !== apiVersion)
    problems.push(`apiVersion ${object.apiVersion} sent to ${apiVersion}`);
  const metadata = object.metadata ?? {};
  try {
    new ObjectMeta(metadata as never).validate();
  } catch (error) {
    problems.push(`metadata: ${(error as Error).message}`);
  }
  problems.push(
    ...unknownFields(metadata, "V1ObjectMeta").map((f) => `unknown field metadata${f}`),
  );
  const name = String(metadata.name ?? "");
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) problems.push(`metadata.name ${name}`);
  for (const [key, value] of Object.entries((metadata.labels ?? {}) as Record<string, string>)) {
    if (!LABEL_NAME.test(key) || !LABEL_VALUE.test(value) || value.length > 63) {
      problems.push(`label ${key}=${value}`);
    }
  }
  const taint = (body as { spec?: { taint?: { key?: string } } })?.spec?.taint;
  if (taint?.key !== undefined && !LABEL_NAME.test(taint.key))
    problems.push(`taint key ${taint.key}`);
  return problems;
}

/** Equality-only label selectors (`a=b,c=d`): all the service sends. */
function matchesLabels(object: JsonObject, selector: string | null): boolean {
  if (!selector) return true;
  const labels = ((object.metadata as JsonObject)?.labels ?? {}) as Record<string, string>;
  return selector.split(",").every((term) => {
    const [key, value] = term.split("=");
    return key !== undefined && labels[key] === value;
  });
}

export class FakeResourceApi {
  readonly requests: ApiRequest[] = [];
  /** DeviceTaintRules refused as invalid, with the reasons. */
  readonly invalid: Array<{ body: Json; problems: string[] }> = [];
  /** DeviceTaintRules accepted on create or update, each checked against the schema. */
  readonly accepted: Json[] = [];
  readonly nodes = new Map<string, JsonObject>();
  readonly slices: JsonObject[] = [];
  readonly rules = new Map<string, JsonObject>();
  /** `verb resource` pairs RBAC refuses (403), as a ClusterRole without them would. */
  readonly forbidden = new Set<string>();
  /** Bump a node's resourceVersion behind the client's back once, as another writer would. */
  raceOnce = false;
  private version = 100;
  private server: Server | undefined;
  url = "";

  /** `served` null: the API server has no resource.k8s.io group at all. */
  constructor(private readonly served: ServedVersion[] | null) {}

  addNode(name: string, spec: JsonObject = {}, annotations: Record<string, string> = {}): void {
    this.nodes.set(name, {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, resourceVersion: this.nextVersion(), labels: {}, annotations },
      spec,
      status: {},
    });
  }

  /** A ResourceSlice as NVIDIA's driver publishes one per node (pool = node name). */
  addSlice(driver: string, node: string, devices: JsonObject[]): void {
    this.slices.push({
      metadata: {
        name: `${node}-${driver}-${this.slices.length}`,
        resourceVersion: this.nextVersion(),
      },
      spec: {
        driver,
        nodeName: node,
        pool: { name: node, generation: 1, resourceSliceCount: 1 },
        devices,
      },
    });
  }

  addRule(rule: JsonObject): void {
    const metadata = rule.metadata as JsonObject;
    metadata.resourceVersion = this.nextVersion();
    this.rules.set(String(metadata.name), rule);
  }

  /** The rules proofwatch manages, by name. */
  managedRules(): JsonObject[] {
    return [...this.rules.values()].filter((r) =>
      matchesLabels(r, "app.kubernetes.io/managed-by=proofwatch"),
    );
  }

  /** Requests that change DeviceTaintRules. */
  ruleWrites(): ApiRequest[] {
    return this.requests.filter((r) => r.path.includes("/devicetaintrules") && r.method !== "GET");
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

  /** Requests that patch nodes. */
  patches(): ApiRequest[] {
    return this.requests.filter((r) => r.method === "PATCH");
  }

  private nextVersion(): string {
    return String(++this.version);
  }

  private versionServes(version: string, kind: string): boolean {
    return Boolean(
      this.served?.some((v) => v.version === version && v.kinds.some((k) => k === kind)),
    );
  }

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      const text = await readBody(req);
      const url = new URL(req.url ?? "/", "http://x");
      const request: ApiRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: text ? (JSON.parse(text) as Json) : null,
      };
      this.requests.push(request);
      const reply = (code: number, body: Json) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const status = (code: number, reason: string, message: string) =>
        reply(code, { kind: "Status", apiVersion: "v1", status: "Failure", reason, message, code });
      if (req.headers.authorization !== `Bearer ${API_TOKEN}`) {
        return status(401, "Unauthorized", "Unauthorized");
      }
      try {
        this.route(request, reply, status);
      } catch (error) {
        status(500, "InternalError", (error as Error).message);
      }
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }

  private route(
    request: ApiRequest,
    reply: (code: number, body: Json) => void,
    status: (code: number, reason: string, message: string) => void,
  ) {
    const { method, path } = request;
    const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path);
    if (node) return this.routeNode(decodeURIComponent(node[1] as string), request, reply, status);

    if (path === `/apis/${GROUP}` || path === `/apis/${GROUP}/`) {
      if (!this.served)
        return status(404, "NotFound", "the server could not find the requested resource");
      const versions = this.served.map((v) => ({
        groupVersion: `${GROUP}/${v.version}`,
        version: v.version,
      }));
      return reply(200, {
        kind: "APIGroup",
        apiVersion: "v1",
        name: GROUP,
        versions,
        preferredVersion: versions[0] ?? null,
      });
    }
    const match =
      /^\/apis\/resource\.k8s\.io\/([^/]+)(?:\/(resourceslices|devicetaintrules)(?:\/([^/]+))?)?$/.exec(
        path,
      );
    const served = match && this.served?.find((v) => v.version === match[1]);
    if (!match || !served)
      return status(404, "NotFound", "the server could not find the requested resource");
    const [, version, resource, name] = match as unknown as [string, string, string?, string?];
    const apiVersion = `${GROUP}/${version}`;
    const verb = { GET: name ? "get" : "list", POST: "create", PUT: "update", DELETE: "delete" }[
      method
    ];
    if (resource && this.forbidden.has(`${verb} ${resource}`)) {
      return status(
        403,
        "Forbidden",
        `${resource}.${GROUP} is forbidden: User "system:serviceaccount:proofwatch:proofwatch-quarantine" cannot ${verb} resource "${resource}" in API group "${GROUP}" at the cluster scope`,
      );
    }
    if (!resource) {
      // The discovery document: each kind, then its status subresource, as the server lists them.
      const resources = served.kinds.flatMap((kind) => {
        const plural = `${kind.toLowerCase()}s`;
        return [
          {
            name: plural,
            singularName: kind.toLowerCase(),
            namespaced: false,
            kind,
            verbs: [
              "create",
              "delete",
              "deletecollection",
              "get",
              "list",
              "patch",
              "update",
              "watch",
            ],
          },
          ...(kind === "DeviceTaintRule"
            ? [
                {
                  name: `${plural}/status`,
                  singularName: "",
                  namespaced: false,
                  kind,
                  verbs: ["get", "patch", "update"],
                },
              ]
            : []),
        ];
      });
      return reply(200, {
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: apiVersion,
        resources,
      });
    }
    if (resource === "resourceslices") {
      if (!this.versionServes(version, "ResourceSlice"))
        return status(404, "NotFound", "no resourceslices");
      if (method !== "GET" || name)
        return status(405, "MethodNotAllowed", "read-only in this stand-in");
      const selector = request.query.get("fieldSelector");
      let items = this.slices;
      if (selector) {
        // The fields ResourceSlices support (pkg/registry/resource/resourceslice/strategy.go).
        for (const term of selector.split(",")) {
          const [field, value] = term.split("=");
          if (field !== "spec.driver" && field !== "spec.nodeName") {
            return status(400, "BadRequest", `field label not supported: ${field}`);
          }
          const key = field === "spec.driver" ? "driver" : "nodeName";
          items = items.filter((s) => (s.spec as JsonObject)[key] === value);
        }
      }
      return reply(200, {
        kind: "ResourceSliceList",
        apiVersion,
        metadata: { resourceVersion: String(this.version) },
        items: items.map((s) => ({ ...s, apiVersion, kind: "ResourceSlice" })),
      });
    }
    if (!this.versionServes(version, "DeviceTaintRule"))
      return status(404, "NotFound", "no devicetaintrules");
    this.routeRules(apiVersion, name, request, reply, status);
  }

  private routeRules(
    apiVersion: string,
    name: string | undefined,
    request: ApiRequest,
    reply: (code: number, body: Json) => void,
    status: (code: number, reason: string, message: string) => void,
  ) {
    const as = (rule: JsonObject) => ({ ...rule, apiVersion, kind: "DeviceTaintRule" });
    const checked = (): JsonObject | null => {
      const problems = ruleProblems(request.body, apiVersion);
      if (problems.length > 0) {
        this.invalid.push({ body: request.body, problems });
        status(422, "Invalid", `DeviceTaintRule is invalid: ${problems.join("; ")}`);
        return null;
      }
      this.accepted.push(request.body);
      return structuredClone(request.body) as JsonObject;
    };
    if (!name) {
      if (request.method === "GET") {
        const selector = request.query.get("labelSelector");
        return reply(200, {
          kind: "DeviceTaintRuleList",
          apiVersion,
          metadata: { resourceVersion: String(this.version) },
          items: [...this.rules.values()].filter((r) => matchesLabels(r, selector)).map(as),
        });
      }
      if (request.method !== "POST") return status(405, "MethodNotAllowed", request.method);
      const rule = checked();
      if (!rule) return;
      const metadata = rule.metadata as JsonObject;
      if (this.rules.has(String(metadata.name))) {
        return status(
          409,
          "AlreadyExists",
          `devicetaintrules.resource.k8s.io "${metadata.name}" already exists`,
        );
      }
      metadata.resourceVersion = this.nextVersion();
      metadata.uid = `uid-${this.version}`;
      this.rules.set(String(metadata.name), rule);
      return reply(201, as(rule));
    }
    const current = this.rules.get(name);
    if (!current)
      return status(404, "NotFound", `devicetaintrules.resource.k8s.io "${name}" not found`);
    if (request.method === "GET") return reply(200, as(current));
    if (request.method === "DELETE") {
      this.rules.delete(name);
      return reply(200, as(current));
    }
    if (request.method !== "PUT") return status(405, "MethodNotAllowed", request.method);
    const rule = checked();
    if (!rule) return;
    const metadata = rule.metadata as JsonObject;
    if (metadata.name !== name)
      return status(400, "BadRequest", "the name of the object does not match the URL");
    if (metadata.resourceVersion !== (current.metadata as JsonObject).resourceVersion) {
      return status(
        409,
        "Conflict",
        "the object has been modified; please apply your changes to the latest version and try again",
      );
    }
    metadata.resourceVersion = this.nextVersion();
    this.rules.set(name, rule);
    reply(200, as(rule));
  }

  private routeNode(
    name: string,
    request: ApiRequest,
    reply: (code: number, body: Json) => void,
    status: (code: number, reason: string, message: string) => void,
  ) {
    const node = this.nodes.get(name);
    if (!node) return status(404, "NotFound", `nodes "${name}" not found`);
    if (request.method === "GET") return reply(200, node);
    if (request.method !== "PATCH") return status(405, "MethodNotAllowed", request.method);
    const type = (request.headers["content-type"] ?? "").split(";")[0];
    if (type !== "application/merge-patch+json") {
      return status(415, "UnsupportedMediaType", `unsupported patch type ${type}`);
    }
    if (this.raceOnce) {
      this.raceOnce = false;
      (node.metadata as JsonObject).resourceVersion = this.nextVersion();
    }
    const precondition = (request.body as { metadata?: { resourceVersion?: string } })?.metadata
      ?.resourceVersion;
    if (
      precondition !== undefined &&
      precondition !== (node.metadata as JsonObject).resourceVersion
    ) {
      return status(409, "Conflict", "the object has been modified");
    }
    const updated = mergePatch(node, request.body) as JsonObject;
    (updated.metadata as JsonObject).resourceVersion = this.nextVersion();
    this.nodes.set(name, updated);
    reply(200, updated);
  }
}
