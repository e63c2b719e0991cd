// Shared set-up for the verifier tests: a workspace with a circuits folder, the service in
// process or as a child process, proofs from the cached snarkjs fixtures.

import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe } from "vitest";
import { INSECURE_WEB_FLAGS } from "../../common/web/index.js";
import { freePort } from "../../demo/src/ports.js";
import {
  type Checker,
  type CheckItem,
  type CheckVerdict,
  type RunningVerifier,
  startVerifier,
  type VerifierOptions,
} from "../../verifier/src/index.js";
import { parseVerificationKey } from "../../verifier/src/schema.js";
import { g1Add, g1ToJson, g2Add, g2ToJson, parseG1Json, parseG2Json } from "../helpers/bn254.js";
import { spawnCli, untilHealthy } from "../helpers/cli.js";
import { type JsonReply, postJson } from "../helpers/http.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { until } from "../helpers/until.js";
import {
  type CircuitFixture,
  type CircuitName,
  ensureCircuit,
  repoRoot,
} from "../prover/fixtures.js";

export { repoRoot };

// --- the native verifier --------------------------------------------------------------

const nativeSource = join(repoRoot, "verifier/native.ts");

async function nativeState(): Promise<string | null> {
  if (!existsSync(nativeSource)) return "verifier/native.ts is not there yet";
  try {
    // By path: the file belongs to another part of the tree and may not exist yet.
    const native = (await import(pathToFileURL(nativeSource).href)) as {
      nativeVerifierAvailable(): boolean;
    };
    return native.nativeVerifierAvailable() ? null : "the native verifier addon is not built";
  } catch (error) {
    return `verifier/native.ts does not load: ${(error as Error).message}`;
  }
}

/** Why the tests that need real verdicts cannot run here; null when they can. */
export const nativeMissingReason = await nativeState();

/** `describe` for tests that need the native verifier; skipped, visibly, until it is built. */
export function describeWithNative(title: string, body: () => void): void {
  if (nativeMissingReason) console.warn(`SKIPPED ${title}: ${nativeMissingReason}`);
  describe.skipIf(nativeMissingReason !== null)(
    nativeMissingReason ? `${title} (skipped: ${nativeMissingReason})` : title,
    body,
  );
}

// --- workspace ------------------------------------------------------------------------

export interface Workspace {
  dir: string;
  circuits: string;
  db: string;
  spool: string;
  cleanup(): Promise<void>;
}

export async function workspace(prefix = "verifier"): Promise<Workspace> {
  const tmp = await makeTempDir(prefix);
  const circuits = join(tmp.dir, "circuits");
  const spool = join(tmp.dir, "spool");
  await mkdir(circuits);
  await mkdir(spool);
  return { dir: tmp.dir, circuits, db: join(tmp.dir, "verifier.db"), spool, cleanup: tmp.cleanup };
}

/** Registers `fixture`'s key as circuit `id` (default: the fixture's name). */
export async function installCircuit(ws: Workspace, fixture: CircuitFixture, id = fixture.name) {
  await mkdir(join(ws.circuits, id), { recursive: true });
  await copyFile(fixture.vkey, join(ws.circuits, id, "verification_key.json"));
}

/**
 * A workspace with the multiplier circuit installed and `count` distinct valid proofs of
 * one statement: snarkjs' own first, then re-randomized copies of it.
 */
export async function multiplierWorkspace(
  prefix: string,
  count: number,
): Promise<{ ws: Workspace; proofs: ProofPair[] }> {
  const ws = await workspace(prefix);
  const base = await fixtureProof("multiplier");
  await installCircuit(ws, base.fixture);
  return { ws, proofs: [base, ...(await rerandomized(base, base.fixture.vkey, count - 1))] };
}

/** Where a verifier keeps its circuits and database: a workspace, or another test's folders. */
type Folders = Pick<Workspace, "circuits" | "db">;

export function options(ws: Folders, overrides: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    listen: { host: "127.0.0.1", port: 0 },
    // Tests about credentials and attribution set their own (test/verifier/auth.test.ts).
    web: INSECURE_WEB_FLAGS,
    circuitsDir: ws.circuits,
    db: ws.db,
    spoolDir: null,
    workers: 2,
    batchMax: 64,
    queueSize: 1000,
    batchTimeoutMs: 30_000,
    baseRate: 1,
    circuitRates: new Map(),
    recoverAfter: 3,
    bodyLimitBytes: 1024 * 1024,
    rescanMs: 500,
    ...overrides,
  };
}

export function start(ws: Folders, overrides: Partial<VerifierOptions> = {}) {
  return startVerifier(options(ws, overrides));
}

// --- HTTP -----------------------------------------------------------------------------

/** Submits to the verifier at `url`: `body` as JSON, or `raw` as it is. */
export function post(url: string, body: unknown, raw?: string): Promise<JsonReply> {
  return postJson(`${url}/v1/proofs`, body, raw === undefined ? {} : { raw });
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export interface Verdict {
  id: number;
  status: string;
  result: string | null;
  reason: string | null;
  uuid: string;
  circuit: string;
  sampling: { checked: boolean; rate: number; reason: string };
  checkedAt: string | null;
  proof?: unknown;
}

export async function verdict(url: string, id: unknown): Promise<Verdict> {
  return getJson<Verdict>(`${url}/v1/proofs/${String(id)}`);
}

/** Polls until submission `id` is decided (checked or skipped). */
export async function decided(url: string, id: unknown, timeoutMs = 30_000): Promise<Verdict> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await verdict(url, id);
    if (v.status !== "accepted") return v;
    if (Date.now() > until) throw new Error(`submission ${String(id)} still unchecked`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export { until };

// --- proofs ---------------------------------------------------------------------------

export interface ProofPair {
  proof: Record<string, unknown>;
  publicSignals: string[];
}

export async function fixtureProof(
  name: CircuitName,
): Promise<{ fixture: CircuitFixture } & ProofPair> {
  const fixture = await ensureCircuit(name);
  return {
    fixture,
    proof: JSON.parse(await readFile(fixture.snarkjsProof, "utf8")) as Record<string, unknown>,
    publicSignals: JSON.parse(await readFile(fixture.snarkjsPublic, "utf8")) as string[],
  };
}

/**
 * `count` more valid proofs of the same statement: (A, B + k·δ, C + k·A) verifies whenever
 * (A, B, C) does, since e(A, kδ) on the left is matched by e(kA, δ) on the right. One point
 * addition each, where a snarkjs prove would take a second.
 */
export async function rerandomized(
  base: ProofPair,
  vkeyFile: string,
  count: number,
): Promise<ProofPair[]> {
  const vkey = JSON.parse(await readFile(vkeyFile, "utf8")) as { vk_delta_2: unknown };
  const delta = parseG2Json(vkey.vk_delta_2);
  const a = parseG1Json(base.proof.pi_a);
  let b = parseG2Json(base.proof.pi_b);
  let c = parseG1Json(base.proof.pi_c);
  const out: ProofPair[] = [];
  for (let k = 0; k < count; k++) {
    b = g2Add(b, delta);
    c = g1Add(c, a);
    out.push({
      proof: { ...base.proof, pi_b: g2ToJson(b), pi_c: g1ToJson(c) },
      publicSignals: [...base.publicSignals],
    });
  }
  return out;
}

export function submission(
  pair: ProofPair,
  fields: { circuit: string; uuid?: string; host?: string; jobId?: string } & Record<
    string,
    unknown
  >,
) {
  const { uuid, host, ...rest } = fields;
  return {
    jobId: `job-${Math.random().toString(36).slice(2)}`,
    ...rest,
    gpu: { uuid: uuid ?? "GPU-00000000-0000-0000-0000-000000000001", host: host ?? "prover-1" },
    proof: pair.proof,
    publicSignals: pair.publicSignals,
  };
}

// --- a stand-in checker -----------------------------------------------------------------

/**
 * Not a verifier: answers "valid" to everything once `open()` is called, so the queue can be
 * filled and watched. For the tests of queueing and input handling only; every test about
 * verdicts uses the native verifier through the worker pool.
 */
export class GateChecker implements Checker {
  readonly concurrency = 1;
  private busy = 0;
  private opened = false;
  private waiting: Array<() => void> = [];
  batches: number[] = [];

  idle(): number {
    return this.concurrency - this.busy;
  }

  async prepare(keyJson: string) {
    return { nPublic: parseVerificationKey(keyJson) };
  }

  async check(_keyHash: string, _keyJson: string, items: CheckItem[]) {
    this.busy++;
    try {
      if (!this.opened) await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.batches.push(items.length);
      const verdicts: CheckVerdict[] = items.map(() => ({ result: "valid", reason: null }));
      return { verdicts, ms: 0.1 };
    } finally {
      this.busy--;
    }
  }

  open(): void {
    this.opened = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  async close() {
    this.open();
  }
}

// --- the service as a child process -----------------------------------------------------

export interface ChildVerifier {
  url: string;
  port: number;
  child: ChildProcess;
  log(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `proofwatch verifier ...` as a child process, once it listens. */
export async function spawnVerifier(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  port?: number,
): Promise<ChildVerifier> {
  const listenPort = port ?? (await freePort());
  // Its callers (the crash tests) post without credentials.
  const listen = ["--listen", `127.0.0.1:${listenPort}`, "--insecure-no-auth"];
  const proc = spawnCli("verifier", [...listen, ...args], env);
  const { child } = proc;
  const exited = proc.exited.then(({ code }) => code);
  const url = `http://127.0.0.1:${listenPort}`;
  await untilHealthy(proc, url).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  return {
    url,
    port: listenPort,
    child,
    log: proc.output,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        await exited;
      }
    },
  };
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 1)}\n`);
}

export type { RunningVerifier };
