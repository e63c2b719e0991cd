// Shared set-up for the prover service tests: fake GPUs from fake-nvml, a workspace with a
// circuits folder from the cached snarkjs fixtures, the service in process, a stand-in
// verifier that records what it is sent, and small HTTP helpers.

import { copyFile, mkdir, rename, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { closeServer, listen } from "../../common/listen.js";
import { setLogLevel } from "../../common/log.js";
import { INSECURE_WEB_FLAGS } from "../../common/web/index.js";
import type { QuarantineList } from "../../contracts/index.js";
import { fakeNvmlLibraryPath } from "../../native/index.js";
import {
  defaultDaemonBinary,
  type JobRecord,
  type ProverServiceOptions,
  type RunningProverService,
  startProverService,
  type WorkerStatus,
} from "../../prover/service/src/index.js";
import { type JsonReply, postJson, readBody } from "../helpers/http.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { until } from "../helpers/until.js";
import { type CircuitFixture, type CircuitName, ensureCircuit } from "../prover/fixtures.js";

export { repoRoot } from "../prover/fixtures.js";

// The services log every job; only errors unless asked for more.
if (!process.env.PROOFWATCH_LOG_LEVEL) setLogLevel("error");

/** Stable uuids for the fake GPUs: GPU-00000000-…-00000000000i. */
export function gpuUuid(index: number): string {
  const n = String(index).padStart(12, "0");
  return `GPU-0000000${index}-0000-4000-8000-${n}`;
}

export interface Workspace {
  dir: string;
  circuits: string;
  /** The service's --witness-dir: each fixture's witness as `<circuit>.wtns`. */
  witnesses: string;
  spool: string;
  out: string;
  quarantineFile: string;
  fixtures: Partial<Record<CircuitName, CircuitFixture>>;
  cleanup(): Promise<void>;
}

/**
 * A temporary folder with `circuits/<name>/circuit.zkey` for each fixture, its witness in
 * `witnesses/<name>.wtns` (the folder `start` gives as --witness-dir), and fake-nvml
 * showing `gpus` GPUs to this process (read at the service's nvmlInit).
 */
export async function workspace(
  prefix: string,
  gpus: number,
  circuits: CircuitName[] = ["multiplier"],
): Promise<Workspace> {
  const tmp = await makeTempDir(`prover-service-${prefix}`);
  const ws: Workspace = {
    dir: tmp.dir,
    circuits: join(tmp.dir, "circuits"),
    witnesses: join(tmp.dir, "witnesses"),
    spool: join(tmp.dir, "spool"),
    out: join(tmp.dir, "out"),
    quarantineFile: join(tmp.dir, "quarantine", "quarantine.json"),
    fixtures: {},
    cleanup: tmp.cleanup,
  };
  await mkdir(join(tmp.dir, "quarantine"));
  await mkdir(ws.spool);
  await mkdir(ws.witnesses);
  for (const name of circuits) {
    const fixture = await ensureCircuit(name);
    const wtns = join(ws.witnesses, `${name}.wtns`);
    await copyFile(fixture.wtns, wtns);
    ws.fixtures[name] = { ...fixture, wtns };
    await mkdir(join(ws.circuits, name), { recursive: true });
    await copyFile(fixture.zkey, join(ws.circuits, name, "circuit.zkey"));
    await copyFile(fixture.vkey, join(ws.circuits, name, "verification_key.json"));
  }
  const scenario = join(tmp.dir, "nvml-scenario.json");
  const devices = Array.from({ length: gpus }, (_, i) => ({ uuid: gpuUuid(i) }));
  await writeFile(scenario, JSON.stringify({ devices }));
  process.env.PROOFWATCH_NVML_LIBRARY = fakeNvmlLibraryPath();
  process.env.FAKE_NVML_SCENARIO = scenario;
  return ws;
}

/** The fixture as the workspace has it: its `wtns` is the copy inside `ws.witnesses`. */
export function fixture(ws: Workspace, name: CircuitName): CircuitFixture {
  const found = ws.fixtures[name];
  if (!found) throw new Error(`workspace has no ${name}`);
  return found;
}

/** Writes the quarantine service's list (aside, then renamed in, as the service does). */
export async function writeQuarantine(ws: Workspace, uuids: string[]): Promise<void> {
  const list: QuarantineList = {
    version: 1,
    generatedAt: new Date().toISOString(),
    gpus: uuids.map((uuid) => ({
      uuid,
      host: "test-host",
      gpu: "0",
      since: new Date().toISOString(),
      reason: "test",
    })),
    hosts: [],
  };
  const aside = `${ws.quarantineFile}.tmp`;
  await writeFile(aside, JSON.stringify(list));
  await rename(aside, ws.quarantineFile);
}

export async function start(
  ws: Workspace,
  overrides: Partial<ProverServiceOptions> = {},
): Promise<RunningProverService> {
  return startProverService({
    listen: { host: "127.0.0.1", port: 0 },
    // Tests about credentials set their own (test/web/services.test.ts).
    web: INSECURE_WEB_FLAGS,
    circuitsDir: ws.circuits,
    spoolDir: null,
    outDir: ws.out,
    verifierUrl: null,
    verifierTokenFile: null,
    verifierCaFile: null,
    verifierCertFile: null,
    verifierKeyFile: null,
    witnessDir: ws.witnesses,
    host: "test-host",
    quarantineFile: null,
    quarantineUrl: null,
    quarantineIntervalMs: 200,
    onQuarantine: "flag",
    maxRetries: 2,
    defaultDeadlineMs: 60_000,
    jobTimeoutMs: 30_000,
    backend: "auto",
    threads: 1,
    maxWarm: 4,
    cpuWorkers: 0,
    faults: new Map(),
    allowFaultInjection: true,
    otlpEndpoint: null,
    daemonBinary: defaultDaemonBinary(),
    trustZkey: false,
    bodyLimitBytes: 16 * 1024 * 1024,
    rescanMs: 500,
    keepJobs: 10_000,
    verifierBacklog: 1000,
    ...overrides,
  });
}

// --- HTTP -----------------------------------------------------------------------------

/** POSTs `body` as JSON; a string goes as it is. */
export function post(url: string, body: unknown): Promise<JsonReply> {
  return postJson(url, body, typeof body === "string" ? { raw: body } : {});
}

export async function submitJob(base: string, body: Record<string, unknown>): Promise<string> {
  const reply = await post(`${base}/v1/jobs`, body);
  if (reply.status !== 202) throw new Error(`job refused: ${JSON.stringify(reply)}`);
  return reply.body.id as string;
}

export async function getJob(base: string, id: string): Promise<JobRecord> {
  const response = await fetch(`${base}/v1/jobs/${id}`);
  if (!response.ok) throw new Error(`GET job ${id}: ${response.status}`);
  return (await response.json()) as JobRecord;
}

export async function workers(base: string): Promise<WorkerStatus[]> {
  return ((await (await fetch(`${base}/v1/workers`)).json()) as { workers: WorkerStatus[] })
    .workers;
}

export { until };

/** Waits until the job is proved or failed. */
export function finished(base: string, id: string, timeoutMs = 30_000): Promise<JobRecord> {
  return until(
    async () => {
      const job = await getJob(base, id);
      return job.state === "proved" || job.state === "failed" ? job : undefined;
    },
    `job ${id} to finish`,
    timeoutMs,
  );
}

// --- a stand-in verifier --------------------------------------------------------------

export interface Recorder {
  url: string;
  port: number;
  bodies: Array<Record<string, unknown>>;
  headers: IncomingMessage["headers"][];
  /** The status it answers with (202 unless a test sets another). */
  status: number;
  close(): Promise<void>;
}

/** Answers `POST /v1/proofs` with 202 and keeps each body; on `port` when given. */
export async function startRecorder(port = 0): Promise<Recorder> {
  const bodies: Array<Record<string, unknown>> = [];
  const headers: IncomingMessage["headers"][] = [];
  const server: Server = createServer(async (req, res) => {
    const text = await readBody(req);
    if (req.method !== "POST" || req.url !== "/v1/proofs") {
      res.writeHead(404).end();
      return;
    }
    bodies.push(JSON.parse(text) as Record<string, unknown>);
    headers.push(req.headers);
    res.writeHead(recorder.status, { "content-type": "application/json" });
    res.end(
      JSON.stringify(
        recorder.status < 300 ? { id: bodies.length, status: "accepted" } : { error: "refused" },
      ),
    );
  });
  const bound = await listen(server, { host: "127.0.0.1", port });
  const recorder: Recorder = {
    url: `http://127.0.0.1:${bound.port}`,
    port: bound.port,
    bodies,
    headers,
    status: 202,
    close: () => closeServer(server),
  };
  return recorder;
}
