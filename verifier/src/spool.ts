// A folder for provers that write files instead of calling the API. Each proof is one
// sub-folder holding `proof.json`, `public.json` (as snarkjs writes them) and `meta.json`
// ({circuit, gpu: {uuid, host}, jobId, prover?, expectedPublicSignals?}). Writers build the
// sub-folder under a name starting with "." or ending in ".tmp" and rename it into place
// when complete (the maildir convention), so a half-written proof is never read.
//
// A sub-folder is removed once its submission is committed to the store (a crash in
// between means it is read again and deduplicated); one that cannot be taken at all moves
// to `.rejected/` with a `reason.txt`; one refused for a full queue stays and is retried.
import type { FSWatcher } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FolderScan, watchFolder } from "../../common/folder-scan.js";
import type { Logger } from "../../common/log.js";
import { describeIssues, parseJson } from "../../common/schema.js";
import { SubmissionMeta } from "./schema.js";
import type { Submission, SubmitReply } from "./service.js";

export const REJECTED_DIR = ".rejected";

export interface SpoolOptions {
  dir: string;
  rescanMs: number;
  /** Largest proof.json or public.json taken, in bytes (the API's body limit). */
  maxFileBytes: number;
}

type Read = { ok: true; value: unknown } | { ok: false; reason: string };

export class Spool {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly scans = new FolderScan(() => this.scanOnce());

  constructor(
    private readonly options: SpoolOptions,
    private readonly submit: (submission: Submission) => SubmitReply,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await mkdir(join(this.options.dir, REJECTED_DIR), { recursive: true });
    await this.scan();
    this.watcher = watchFolder(this.options.dir, () => this.schedule());
    this.timer = setInterval(() => this.schedule(0), this.options.rescanMs);
    this.timer.unref();
  }

  close(): Promise<void> {
    this.watcher?.close();
    clearInterval(this.timer);
    return this.scans.close();
  }

  private schedule(delayMs = 100): void {
    this.scans.schedule(delayMs, (error) => {
      this.log.error("spool scan failed", { error: error.message });
    });
  }

  /** Takes every complete sub-folder now; resolves when done. */
  scan(): Promise<void> {
    return this.scans.run();
  }

  private async scanOnce(): Promise<void> {
    const names = (await readdir(this.options.dir)).sort();
    for (const name of names) {
      if (this.scans.closed) return;
      if (name.startsWith(".") || name.endsWith(".tmp")) continue;
      if (!(await this.take(name))) break; // queue full: try again on the next scan
    }
  }

  /** Handles one sub-folder; false when the verifier cannot take more now. */
  private async take(name: string): Promise<boolean> {
    const folder = join(this.options.dir, name);
    const info = await stat(folder).catch(() => undefined);
    if (!info?.isDirectory()) return true;

    const metaFile = await this.readJson(join(folder, "meta.json"));
    if (!metaFile.ok) {
      if (metaFile.reason === "missing") return true; // not renamed into place correctly yet
      await this.reject(name, `meta.json: ${metaFile.reason}`);
      return true;
    }
    const meta = SubmissionMeta.safeParse(metaFile.value);
    if (!meta.success) {
      await this.reject(name, `meta.json: ${describeIssues(meta.error)}`);
      return true;
    }
    const proof = await this.readJson(join(folder, "proof.json"));
    const signals = await this.readJson(join(folder, "public.json"));
    const unreadable = [
      proof.ok ? null : `proof.json: ${proof.reason}`,
      signals.ok ? null : `public.json: ${signals.reason}`,
    ].filter((reason) => reason !== null);

    const reply = this.submit({
      meta: meta.data,
      proof: proof.ok ? proof.value : null,
      publicSignals: signals.ok ? signals.value : null,
      source: "spool",
      ...(unreadable.length > 0 ? { unreadable: unreadable.join("; ") } : {}),
    });
    if ("reject" in reply) {
      if (reply.status === 429) return false;
      await this.reject(name, reply.body.error);
      return true;
    }
    this.log.debug("spool proof taken", { folder: name, id: String(reply.body.id) });
    await rm(folder, { recursive: true, force: true });
    return true;
  }

  private async readJson(file: string): Promise<Read> {
    let text: string;
    try {
      const info = await stat(file);
      if (info.size > this.options.maxFileBytes) {
        return {
          ok: false,
          reason: `${info.size} bytes, over the ${this.options.maxFileBytes} limit`,
        };
      }
      text = await readFile(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { ok: false, reason: code === "ENOENT" ? "missing" : (code ?? String(error)) };
    }
    const json = parseJson(text);
    return json.ok ? json : { ok: false, reason: json.error };
  }

  private async reject(name: string, reason: string): Promise<void> {
    let target = join(this.options.dir, REJECTED_DIR, name);
    if (await stat(target).catch(() => undefined)) target = `${target}.${Date.now()}`;
    this.log.warn("spool folder rejected", { folder: name, reason });
    await rename(join(this.options.dir, name), target);
    await writeFile(join(target, "reason.txt"), `${reason}\n`);
  }
}
