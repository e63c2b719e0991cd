// A folder for provers that write files instead of calling the API. Each proof is one
// sub-folder holding `proof.json`, `public.json` (as snarkjs writes them) and `meta.json`
// ({circuit, gpu: {uuid, host}, jobId, prover?, expectedPublicSignals?}). Writers build the
// sub-folder under a name starting with "." or ending in ".tmp" and rename it into place
// when complete (the maildir convention), so a half-written proof is never read.
//
// A sub-folder is removed once its submission is committed to the store (a crash in
// between means it is read again and deduplicated); one that cannot be taken at all moves
// to `.rejected/` with a `reason.txt`; one refused for a full queue stays and is retried.
//
// Nothing is read from outside the folder: a sub-folder that is a symbolic link, and a
// proof.json, public.json or meta.json that is a link, a hard link to another name, or not a
// regular file, is refused and moved to `.rejected/`. Files are opened with O_NOFOLLOW,
// relative to the sub-folder opened once with O_NOFOLLOW (through /proc/self/fd where there
// is one), so swapping a folder for a link between the check and the read changes nothing.
import { constants, existsSync, type FSWatcher } from "node:fs";
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { FolderScan, watchFolder } from "../../common/folder-scan.js";
import type { Logger } from "../../common/log.js";
import { describeIssues, parseJson } from "../../common/schema.js";
import { SubmissionMeta } from "../../contracts/index.js";
import type { Authorization, Claim } from "./attribution.js";
import type { Submission, SubmitReply } from "./service.js";

export const REJECTED_DIR = ".rejected";

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;
// Linux: a path through an open directory's descriptor resolves in that very directory.
const FD_DIR = existsSync("/proc/self/fd") ? "/proc/self/fd" : null;

export interface SpoolOptions {
  dir: string;
  rescanMs: number;
  /** Largest proof.json or public.json taken, in bytes (the API's body limit). */
  maxFileBytes: number;
  /** Whether this spool may speak for the GPU and host a meta.json names (its --spool-host,
   * attribution.ts `authorizeSpool`). */
  authorize(claim: Claim): Authorization;
}

/** A file's JSON; or why not: `refuse` when the folder is to be rejected rather than judged
 * (the file is not the writer's own: a link, a hard link, not a regular file). */
type Read = { ok: true; value: unknown } | { ok: false; reason: string; refuse?: true };

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
    const info = await lstat(folder).catch(() => undefined);
    if (!info) return true;
    if (info.isSymbolicLink()) {
      await this.reject(name, "a symbolic link: the spool never follows links");
      return true;
    }
    if (!info.isDirectory()) return true;

    let dir: FileHandle;
    try {
      dir = await open(folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return true;
      if (code === "ELOOP" || code === "ENOTDIR") {
        await this.reject(name, "not a folder any more (replaced by a link?): refused");
      } else {
        this.log.warn("spool folder unreadable", { folder: name, error: code ?? String(error) });
      }
      return true;
    }
    let files: { meta: Read; proof: Read; signals: Read };
    try {
      const base = FD_DIR ? join(FD_DIR, String(dir.fd)) : folder;
      const meta = await this.readJson(base, "meta.json");
      // A missing meta.json: not renamed into place correctly yet; nothing else is read.
      if (!meta.ok && meta.reason === "missing") return true;
      files = {
        meta,
        proof: await this.readJson(base, "proof.json"),
        signals: await this.readJson(base, "public.json"),
      };
    } finally {
      await dir.close();
    }

    const refused = (
      [
        ["meta.json", files.meta],
        ["proof.json", files.proof],
        ["public.json", files.signals],
      ] as const
    ).flatMap(([file, read]) => (!read.ok && read.refuse ? [`${file}: ${read.reason}`] : []));
    if (refused.length > 0) {
      await this.reject(name, refused.join("; "));
      return true;
    }
    const { meta: metaFile, proof, signals } = files;
    if (!metaFile.ok) {
      await this.reject(name, `meta.json: ${metaFile.reason}`);
      return true;
    }
    const meta = SubmissionMeta.safeParse(metaFile.value);
    if (!meta.success) {
      await this.reject(name, `meta.json: ${describeIssues(meta.error)}`);
      return true;
    }
    // The folder speaks for the host it is configured for, never for what meta.json claims.
    const allowed = this.options.authorize({ host: meta.data.gpu.host, uuid: meta.data.gpu.uuid });
    if (!allowed.ok) {
      await this.reject(name, `meta.json: ${allowed.message}`);
      return true;
    }
    const unreadable = [
      proof.ok ? null : `proof.json: ${proof.reason}`,
      signals.ok ? null : `public.json: ${signals.reason}`,
    ].filter((reason) => reason !== null);

    const reply = this.submit({
      meta: meta.data,
      proof: proof.ok ? proof.value : null,
      publicSignals: signals.ok ? signals.value : null,
      source: "spool",
      submittedBy: `spool:${this.options.dir}`,
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

  /** `file` in the folder at `base`, never through a link, as JSON. */
  private async readJson(base: string, file: string): Promise<Read> {
    let handle: FileHandle;
    try {
      // O_NONBLOCK: a FIFO would otherwise hold the open until someone writes to it.
      handle = await open(join(base, file), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return { ok: false, reason: "missing" };
      if (code === "ELOOP") {
        return {
          ok: false,
          reason: "a symbolic link: the spool never follows links",
          refuse: true,
        };
      }
      return { ok: false, reason: code ?? String(error) };
    }
    let text: string;
    try {
      const info = await handle.stat();
      if (!info.isFile()) return { ok: false, reason: "not a regular file", refuse: true };
      if (info.nlink > 1) {
        // Another name for the same file, possibly outside the spool: not the writer's own.
        return { ok: false, reason: `a hard link (${info.nlink} names): refused`, refuse: true };
      }
      const limit = this.options.maxFileBytes;
      if (info.size > limit) {
        return { ok: false, reason: `${info.size} bytes, over the ${limit} limit` };
      }
      // At most limit + 1 bytes, whatever the file grows to after the stat.
      const buffer = Buffer.alloc(limit + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length === buffer.length) {
          return { ok: false, reason: `over the ${limit} bytes limit` };
        }
      }
      text = buffer.subarray(0, length).toString("utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { ok: false, reason: code ?? String(error) };
    } finally {
      await handle.close();
    }
    const json = parseJson(text);
    return json.ok ? json : { ok: false, reason: json.error };
  }

  /**
   * Moves entry `name` to `.rejected/` with a `reason.txt`. A real folder moves as it is and
   * gets the reason inside; anything else (a link) moves into a new folder of its name, so
   * that nothing is ever written through a link.
   */
  private async reject(name: string, reason: string): Promise<void> {
    const rejected = join(this.options.dir, REJECTED_DIR);
    const info = await lstat(rejected).catch(() => undefined);
    if (!info?.isDirectory()) {
      // Moving entries into a link would put them wherever it points.
      throw new Error(`${rejected} is not a folder (a link?): nothing is moved into it`);
    }
    const source = join(this.options.dir, name);
    let target = join(rejected, name);
    if (await lstat(target).catch(() => undefined)) target = `${target}.${Date.now()}`;
    this.log.warn("spool folder rejected", { folder: name, reason });
    const entry = await lstat(source);
    if (entry.isDirectory()) {
      await rename(source, target);
    } else {
      await mkdir(target);
      await rename(source, join(target, name));
    }
    await writeReason(target, `${reason}\n`);
  }
}

/** Writes `reason.txt` in `folder` without following a link or overwriting a file of that
 * name the writer left there (then `reason.<time>.txt`). */
async function writeReason(folder: string, text: string): Promise<void> {
  for (const file of ["reason.txt", `reason.${Date.now()}.txt`]) {
    try {
      // "wx": O_CREAT | O_EXCL, which fails on an existing name, a link included.
      await writeFile(join(folder, file), text, { flag: "wx" });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}
