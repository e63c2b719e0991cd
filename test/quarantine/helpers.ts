// Shared set-up for the quarantine tests: a service in this process (as a child process:
// test/helpers/cli.ts), webhook payloads as Alertmanager 0.25 writes them, and small HTTP
// receivers.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeServer } from "../../common/listen.js";
import { setLogLevel } from "../../common/log.js";
import { DEFAULT_WEB_FLAGS } from "../../common/web/index.js";
import {
  type AlertmanagerAlert,
  type AlertmanagerWebhook,
  QuarantineList,
} from "../../contracts/index.js";
import { find, parseExposition } from "../../demo/src/exposition.js";
import {
  type QuarantineOptions,
  type RunningQuarantine,
  startQuarantine,
} from "../../quarantine/src/index.js";
import { type JsonReply, postJson, readBody } from "../helpers/http.js";

// The service logs every decision; the assertions read the audit log instead.
setLogLevel((process.env.PROOFWATCH_LOG_LEVEL as "warn" | undefined) ?? "warn");

export const TOKEN = "test-token-0123456789abcdef";

export interface Workspace {
  dir: string;
  tokenFile: string;
  db: string;
  listFile: string;
  remove(): void;
}

export function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "proofwatch-quarantine-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  return {
    dir,
    tokenFile,
    db: join(dir, "quarantine.db"),
    listFile: join(dir, "quarantine.json"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function serviceOptions(
  ws: Workspace,
  overrides: Partial<QuarantineOptions> = {},
): QuarantineOptions {
  return {
    listen: { host: "127.0.0.1", port: 0 },
    db: ws.db,
    web: DEFAULT_WEB_FLAGS,
    auth: { tokenFile: ws.tokenFile },
    tls: null,
    fleetSize: 8,
    knownGpusFile: null,
    limits: { maxShare: 0.25, maxNew: 10, windowMs: 3_600_000 },
    dryRun: false,
    optOutHosts: [],
    escalateAfter: 0,
    actions: { file: { path: ws.listFile } },
    autoRelease: null,
    retryIntervalMs: 60_000,
    actionTimeoutMs: 10_000,
    bodyLimitBytes: 1024 * 1024,
    ...overrides,
  };
}

export function start(
  ws: Workspace,
  overrides: Partial<QuarantineOptions> = {},
): Promise<RunningQuarantine> {
  return startQuarantine(serviceOptions(ws, overrides));
}

export interface AlertSpec {
  uuid?: string;
  host?: string;
  instance?: string;
  gpu?: string;
  alertname?: string;
  status?: "firing" | "resolved";
  fingerprint?: string;
  startsAt?: string;
  labels?: Record<string, string>;
}

export function alert(spec: AlertSpec = {}): AlertmanagerAlert {
  const uuid = spec.uuid ?? "GPU-00000000-0000-0000-0000-000000000001";
  const labels: Record<string, string> = {
    alertname: spec.alertname ?? "ProofwatchGpuUncorrectableEcc",
    severity: "critical",
    proofwatch_action: "quarantine",
    instance: spec.instance ?? "node-1.example:9840",
    gpu: spec.gpu ?? "0",
    uuid,
    ...spec.labels,
  };
  if (spec.host) labels.host = spec.host;
  if (spec.uuid === "") delete labels.uuid;
  const status = spec.status ?? "firing";
  return {
    status,
    labels,
    annotations: { summary: "GPU memory is failing" },
    startsAt: spec.startsAt ?? "2025-03-01T10:00:00.123456789Z",
    endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : "2025-03-01T11:00:00Z",
    generatorURL: "http://prometheus:9090/graph",
    // Alertmanager's fingerprint is a hash of the label set.
    fingerprint:
      spec.fingerprint ??
      createHash("sha256").update(JSON.stringify(labels)).digest("hex").slice(0, 16),
  };
}

export function payload(
  alerts: AlertmanagerAlert[],
  extra: Partial<AlertmanagerWebhook> = {},
): AlertmanagerWebhook {
  const status = alerts.some((a) => a.status === "firing") ? "firing" : "resolved";
  return {
    version: "4",
    groupKey: '{}:{alertname="ProofwatchGpuUncorrectableEcc"}',
    truncatedAlerts: 0,
    status,
    receiver: "proofwatch-quarantine",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts,
    ...extra,
  };
}

/** POSTs with the test token (`token: null` for none, or another one). */
export function post(
  url: string,
  body: unknown,
  options: { token?: string | null; raw?: string; headers?: Record<string, string> } = {},
): Promise<JsonReply> {
  const { token = TOKEN, ...rest } = options;
  const headers = {
    ...rest.headers,
    ...(token === null ? {} : { authorization: `Bearer ${token}` }),
  };
  return postJson(url, body, { ...rest, headers });
}

export interface AuditEntry {
  id: number;
  event: string;
  actor: string;
  uuid: string | null;
  host: string | null;
  alertKey: string | null;
  detail: Record<string, unknown> | null;
}

export async function auditLog(url: string): Promise<AuditEntry[]> {
  const response = await fetch(`${url}/v1/audit`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (!response.ok) throw new Error(`audit: HTTP ${response.status}`);
  return ((await response.json()) as { entries: AuditEntry[] }).entries;
}

export async function events(url: string, event: string): Promise<AuditEntry[]> {
  return (await auditLog(url)).filter((entry) => entry.event === event);
}

/** GET /v1/quarantine, held to the contract the service's readers parse it with. */
export async function quarantineList(url: string): Promise<QuarantineList> {
  const response = await fetch(`${url}/v1/quarantine`);
  return QuarantineList.parse(await response.json());
}

/** GET /v1/status with the test token. */
export async function serviceStatus(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/v1/status`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (!response.ok) throw new Error(`status: HTTP ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

export async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

export interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** An HTTP server that records what it is sent and answers with `status()`. */
export async function receiver(status: () => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer(async (req, res) => {
    received.push({ headers: req.headers, body: await readBody(req) });
    res.statusCode = status();
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => closeServer(server),
  };
}

/** One sample's value from a text exposition, matching every label given. */
export function metric(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return find(parseExposition(text), name, labels)[0]?.value;
}

export { freePort } from "../../demo/src/ports.js";

export { until } from "../helpers/until.js";
