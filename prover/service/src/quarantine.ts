// Follows the quarantine service's list (docs/quarantine.md): its file, or `GET
// /v1/quarantine`, read every `intervalMs` (and, for a file, as soon as fs.watch says it
// changed). A GPU is out when its uuid is listed or when this host is. A list that cannot be
// read or parsed keeps the last good one: failing open would hand jobs back to a GPU that
// was taken out for making bad proofs.
import type { FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { watchFolder } from "../../../common/folder-scan.js";
import type { Logger } from "../../../common/log.js";
import { describeIssues, parseJson } from "../../../common/schema.js";
import { QuarantineListTargets } from "../../../contracts/index.js";

export interface QuarantineSet {
  uuids: ReadonlySet<string>;
  hosts: ReadonlySet<string>;
}

export interface QuarantineSource {
  file?: string;
  url?: string;
  intervalMs: number;
}

const FETCH_TIMEOUT_MS = 5000;

export class QuarantineWatcher {
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private lastKey = "";
  private lastError = "";
  private reading: Promise<void> | undefined;
  private closed = false;
  /** Unix ms of the last successful read. */
  lastReadAt: number | null = null;

  constructor(
    private readonly source: QuarantineSource,
    private readonly onChange: (list: QuarantineSet) => void,
    private readonly log: Logger,
  ) {}

  /** Reads once (so the first jobs already see the list), then keeps following it. */
  async start(): Promise<void> {
    await this.read();
    if (this.source.file) {
      // The folder, not the file: the list is replaced by rename, which a file watch misses.
      const name = basename(this.source.file);
      this.watcher = watchFolder(dirname(this.source.file), (file) => {
        if (file === null || file === name) void this.read();
      });
    }
    this.timer = setInterval(() => void this.read(), this.source.intervalMs);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.watcher?.close();
  }

  /** Reads the list now; concurrent calls share one read. */
  read(): Promise<void> {
    this.reading ??= this.readOnce().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    if (this.closed) return;
    let text: string;
    try {
      text = this.source.file ? await this.readFile(this.source.file) : await this.fetch();
    } catch (error) {
      return this.failed((error as Error).message);
    }
    if (text === "") {
      // No file yet: nothing is quarantined until the quarantine service writes one.
      this.lastReadAt = Date.now();
      return this.apply({ uuids: new Set(), hosts: new Set() });
    }
    const json = parseJson(text);
    if (!json.ok) return this.failed(json.error);
    const parsed = QuarantineListTargets.safeParse(json.value);
    if (!parsed.success) return this.failed(describeIssues(parsed.error));
    this.lastReadAt = Date.now();
    this.lastError = "";
    this.apply({
      uuids: new Set(parsed.data.gpus.map((gpu) => gpu.uuid)),
      hosts: new Set(parsed.data.hosts.map((host) => host.host)),
    });
  }

  private async readFile(file: string): Promise<string> {
    try {
      await stat(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && this.lastReadAt === null) {
        return "";
      }
      throw error;
    }
    return readFile(file, "utf8");
  }

  private async fetch(): Promise<string> {
    const response = await fetch(this.source.url as string, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`GET ${this.source.url}: HTTP ${response.status}`);
    return response.text();
  }

  private apply(list: QuarantineSet): void {
    const key = JSON.stringify([[...list.uuids].sort(), [...list.hosts].sort()]);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.log.info("quarantine list", {
      gpus: [...list.uuids].join(",") || "none",
      hosts: [...list.hosts].join(",") || "none",
    });
    this.onChange(list);
  }

  private failed(message: string): void {
    if (message !== this.lastError) {
      this.log.warn("quarantine list unreadable; keeping the last one", { error: message });
    }
    this.lastError = message;
  }
}
