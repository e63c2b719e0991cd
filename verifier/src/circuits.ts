// Circuits known to the verifier: one folder per circuit under --circuits, holding the
// snarkjs `verification_key.json` and, optionally, `verifier.json` ({"sampleRate": 0.25}).
// fs.watch says when to look again; a periodic rescan covers what inotify misses (editors
// that replace files, network filesystems, folders created before their watch).
import type { FSWatcher } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { FolderScan, watchFolder } from "../../common/folder-scan.js";
import type { Logger } from "../../common/log.js";
import { describeIssues, parseJson } from "../../common/schema.js";
import { CIRCUIT_ID } from "../../contracts/index.js";
import { parseVerificationKey, sha256 } from "./schema.js";

export const KEY_FILE = "verification_key.json";
export const SETTINGS_FILE = "verifier.json";

const Settings = z.object({ sampleRate: z.number().min(0).max(1).optional() }).strict();

export interface Circuit {
  id: string;
  keyJson: string;
  /** sha256 of the key file: recorded with each verdict, and the workers' cache key. */
  keyHash: string;
  nPublic: number;
  /** From verifier.json, when the folder has one. */
  sampleRate: number | undefined;
  loadedAt: number;
}

export interface CircuitStatus {
  id: string;
  keyHash: string | null;
  nPublic: number | null;
  sampleRate: number | null;
  loadedAt: string | null;
  /** Why the folder's current files were not (or not all) taken. */
  error: string | null;
}

export interface RegistryOptions {
  dir: string;
  rescanMs: number;
  /** Loads a key the way the workers will (rejects for one the native verifier refuses). */
  prepare(keyJson: string): Promise<{ nPublic: number }>;
  /** Called after a scan with the circuits that were added or changed. */
  onChange(changed: string[], removed: string[]): void;
}

export class CircuitRegistry {
  private readonly circuits = new Map<string, Circuit>();
  private readonly errors = new Map<string, string>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly scans = new FolderScan(() => this.scanOnce());
  private rescan: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: RegistryOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await readdir(this.options.dir).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`circuits folder ${this.options.dir}: ${error.code ?? error.message}`);
    });
    await this.scan();
    this.watch("", this.options.dir);
    this.rescan = setInterval(() => this.schedule(0), this.options.rescanMs);
    this.rescan.unref();
  }

  get(id: string): Circuit | undefined {
    return this.circuits.get(id);
  }

  list(): Circuit[] {
    return [...this.circuits.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  status(): CircuitStatus[] {
    const ids = new Set([...this.circuits.keys(), ...this.errors.keys()]);
    return [...ids].sort().map((id) => {
      const c = this.circuits.get(id);
      return {
        id,
        keyHash: c?.keyHash ?? null,
        nPublic: c?.nPublic ?? null,
        sampleRate: c?.sampleRate ?? null,
        loadedAt: c ? new Date(c.loadedAt).toISOString() : null,
        error: this.errors.get(id) ?? null,
      };
    });
  }

  close(): void {
    void this.scans.close();
    clearInterval(this.rescan);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Scans now and resolves once done (tests and `SIGHUP`); watches call it too. */
  scan(): Promise<void> {
    return this.scans.run();
  }

  private schedule(delayMs = 200): void {
    this.scans.schedule(delayMs, (error) => {
      this.log.error("circuit scan failed", { error: error.message });
    });
  }

  private watch(key: string, path: string): void {
    if (this.watchers.has(key)) return;
    // None for a folder gone between readdir and watch: the rescan covers it.
    const watcher = watchFolder(path, () => this.schedule());
    if (!watcher) return;
    watcher.on("error", () => this.watchers.delete(key));
    this.watchers.set(key, watcher);
  }

  private async scanOnce(): Promise<void> {
    const entries = await readdir(this.options.dir, { withFileTypes: true });
    const seen = new Set<string>();
    const changed: string[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || !CIRCUIT_ID.test(entry.name)) continue;
      const id = entry.name;
      const folder = join(this.options.dir, id);
      let keyJson: string;
      try {
        keyJson = await readFile(join(folder, KEY_FILE), "utf8");
      } catch {
        continue; // not a circuit (yet)
      }
      seen.add(id);
      this.watch(id, folder);
      try {
        if (await this.load(id, folder, keyJson)) changed.push(id);
        this.errors.delete(id);
      } catch (error) {
        const message = (error as Error).message;
        if (this.errors.get(id) !== message) {
          // The last good key stays in use: a half-written file must not drop a circuit.
          this.log.error("circuit not loaded", {
            circuit: id,
            error: message,
            keeping: this.circuits.get(id)?.keyHash ?? "none",
          });
        }
        this.errors.set(id, message);
      }
    }
    const removed: string[] = [];
    for (const id of [...this.circuits.keys(), ...this.errors.keys()]) {
      if (seen.has(id)) continue;
      if (this.circuits.delete(id)) removed.push(id);
      this.errors.delete(id);
      this.watchers.get(id)?.close();
      this.watchers.delete(id);
    }
    for (const id of removed) this.log.warn("circuit removed", { circuit: id });
    if (changed.length > 0 || removed.length > 0) this.options.onChange(changed, removed);
  }

  /** Takes a folder's files; true when the circuit is new or its key or settings changed. */
  private async load(id: string, folder: string, keyJson: string): Promise<boolean> {
    const keyHash = sha256(keyJson);
    const sampleRate = await readSettings(join(folder, SETTINGS_FILE));
    const current = this.circuits.get(id);
    if (current?.keyHash === keyHash && current.sampleRate === sampleRate) return false;
    let nPublic: number;
    if (current?.keyHash === keyHash) {
      nPublic = current.nPublic;
    } else {
      try {
        nPublic = parseVerificationKey(keyJson);
      } catch (error) {
        throw new Error(`invalid verification key: ${(error as Error).message}`);
      }
      const prepared = await this.options.prepare(keyJson);
      if (prepared.nPublic !== nPublic) {
        throw new Error(
          `native verifier reads nPublic ${prepared.nPublic}, the file says ${nPublic}`,
        );
      }
    }
    this.circuits.set(id, { id, keyJson, keyHash, nPublic, sampleRate, loadedAt: Date.now() });
    this.log.info(current ? "circuit updated" : "circuit registered", {
      circuit: id,
      keyHash: keyHash.slice(0, 16),
      nPublic,
      sampleRate: sampleRate ?? "base",
    });
    return true;
  }
}

async function readSettings(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  const json = parseJson(text);
  if (!json.ok) throw new Error(`${SETTINGS_FILE}: ${json.error}`);
  const parsed = Settings.safeParse(json.value);
  if (!parsed.success) throw new Error(`${SETTINGS_FILE}: ${describeIssues(parsed.error)}`);
  return parsed.data.sampleRate;
}
