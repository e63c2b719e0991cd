// A pool of worker threads, each running worker.ts around the native verifier. A worker that
// throws, dies or hangs past its deadline is replaced; the batch it held fails and the
// service decides what to do with it (see service.ts).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "../../common/log.js";
import type { CanonicalItem } from "../native.js";
import type { VerdictResult } from "./types.js";

/** A proof and its public signals in canonical form (schema.ts `checkProof`). */
export type CheckItem = CanonicalItem;

export interface CheckVerdict {
  result: VerdictResult;
  reason: string | null;
}

export type ToWorker =
  | { type: "prepare"; seq: number; keyJson: string }
  | { type: "check"; seq: number; keyHash: string; keyJson: string; items: CheckItem[] };

export type WorkerReply =
  | { type: "ready"; error?: string }
  | { type: "prepared"; seq: number; nPublic: number }
  | { type: "checked"; seq: number; verdicts: CheckVerdict[]; ms: number }
  | { type: "error"; seq: number; message: string };

/** A request before the pool numbers it. */
type Request = ToWorker extends infer T ? (T extends unknown ? Omit<T, "seq"> : never) : never;

/** What the service needs from whatever checks proofs: the worker pool, or a test's stand-in. */
export interface Checker {
  /** How many batches can run at once. */
  readonly concurrency: number;
  /** Batches that could start now. */
  idle(): number;
  /** Loads a key as the workers will; rejects with the native error for a bad one. */
  prepare(keyJson: string): Promise<{ nPublic: number }>;
  /** Verdicts for `items` in order, and how long the check took in the worker. */
  check(
    keyHash: string,
    keyJson: string,
    items: CheckItem[],
  ): Promise<{ verdicts: CheckVerdict[]; ms: number }>;
  close(): Promise<void>;
}

export class WorkerCrash extends Error {
  override readonly name = "WorkerCrash";
}

/**
 * worker.js next to this file when running compiled (dist/); otherwise the TypeScript
 * source through worker-tsx.mjs, as under vitest or `node --import tsx cli/main.ts`.
 */
export function workerEntry(): URL {
  const compiled = new URL("./worker.js", import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return compiled;
  return new URL("./worker-tsx.mjs", import.meta.url);
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

class Slot {
  worker: Worker | undefined;
  busy = false;
  ready: Promise<void> = Promise.resolve();
  pending = new Map<number, Pending>();
}

export interface PoolOptions {
  size: number;
  /** Longest one batch may take before its worker is replaced. */
  timeoutMs: number;
}

export class WorkerPool implements Checker {
  private readonly slots: Slot[];
  private readonly waiters: Array<(slot: Slot) => void> = [];
  private seq = 0;
  private closed = false;

  private constructor(
    private readonly options: PoolOptions,
    private readonly log: Logger,
  ) {
    this.slots = Array.from({ length: options.size }, () => new Slot());
  }

  /** Starts every worker; rejects when the native verifier cannot load in them. */
  static async start(options: PoolOptions, log: Logger): Promise<WorkerPool> {
    const pool = new WorkerPool(options, log);
    try {
      await Promise.all(pool.slots.map((slot) => pool.spawn(slot)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get concurrency(): number {
    return this.slots.length;
  }

  idle(): number {
    return this.slots.filter((slot) => !slot.busy).length - this.waiters.length;
  }

  private spawn(slot: Slot): Promise<void> {
    const worker = new Worker(workerEntry());
    slot.worker = worker;
    slot.ready = new Promise<void>((resolve, reject) => {
      const onReady = (reply: WorkerReply) => {
        if (reply.type !== "ready") return;
        worker.off("message", onReady);
        if (reply.error) reject(new Error(`verifier worker: ${reply.error}`));
        else resolve();
      };
      worker.on("message", onReady);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`verifier worker exited with code ${code}`)));
    });
    worker.on("message", (reply: WorkerReply) => {
      if (reply.type === "ready") return;
      const pending = slot.pending.get(reply.seq);
      if (!pending) return;
      slot.pending.delete(reply.seq);
      clearTimeout(pending.timer);
      pending.resolve(reply);
    });
    worker.on("error", (error) => this.fail(slot, worker, `worker failed: ${error.message}`));
    worker.on("exit", (code) => this.fail(slot, worker, `worker exited with code ${code}`));
    return slot.ready;
  }

  /** Fails what `worker` held and, unless closing, starts a replacement in its slot. */
  private fail(slot: Slot, worker: Worker, why: string): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    for (const pending of slot.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new WorkerCrash(why));
    }
    slot.pending.clear();
    void worker.terminate();
    if (this.closed) return;
    this.log.warn("replacing verifier worker", { why });
    this.spawn(slot).catch((error: unknown) => {
      this.log.error("verifier worker did not restart", { error: (error as Error).message });
    });
  }

  private acquire(): Promise<Slot> {
    const free = this.slots.find((slot) => !slot.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiters.shift();
    if (next) next(slot);
    else slot.busy = false;
  }

  private async call(message: Request): Promise<WorkerReply> {
    if (this.closed) throw new Error("worker pool closed");
    const slot = await this.acquire();
    try {
      await slot.ready;
      const worker = slot.worker;
      if (!worker) throw new WorkerCrash("worker not running");
      const seq = ++this.seq;
      return await new Promise<WorkerReply>((resolve, reject) => {
        const timer = setTimeout(() => {
          slot.pending.delete(seq);
          reject(new WorkerCrash(`no answer in ${this.options.timeoutMs} ms`));
          // A hung native call cannot be interrupted: the thread goes, a fresh one comes.
          this.fail(slot, worker, "timed out");
        }, this.options.timeoutMs);
        slot.pending.set(seq, { resolve, reject, timer });
        worker.postMessage({ ...message, seq });
      });
    } finally {
      this.release(slot);
    }
  }

  async prepare(keyJson: string): Promise<{ nPublic: number }> {
    const reply = await this.call({ type: "prepare", keyJson });
    if (reply.type === "error") throw new Error(reply.message);
    if (reply.type !== "prepared") throw new Error(`unexpected worker reply ${reply.type}`);
    return { nPublic: reply.nPublic };
  }

  async check(keyHash: string, keyJson: string, items: CheckItem[]) {
    const reply = await this.call({ type: "check", keyHash, keyJson, items });
    if (reply.type === "error") throw new Error(reply.message);
    if (reply.type !== "checked") throw new Error(`unexpected worker reply ${reply.type}`);
    if (reply.verdicts.length !== items.length) {
      throw new Error(`${reply.verdicts.length} verdicts for ${items.length} proofs`);
    }
    return { verdicts: reply.verdicts, ms: reply.ms };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        slot.worker = undefined;
        for (const pending of slot.pending.values()) {
          clearTimeout(pending.timer);
          pending.reject(new WorkerCrash("worker pool closed"));
        }
        slot.pending.clear();
        await worker?.terminate();
      }),
    );
  }
}
