// Jobs written as files: `SPOOL/<name>.json`, one job request each (the `POST /v1/jobs`
// body; a `witnessFile` is read from --witness-dir as over HTTP). Writers put the file
// aside and rename it in, so no half file is read; only names ending in `.json` are taken.
//
// A file stays where it is while its job is queued or running, so a restart picks it up
// again; once the job is done it moves to `done/` (proved) or `failed/`, next to a
// `<name>.result.json` with the job record. A file that is not a valid job moves to
// `rejected/` next to `<name>.error.txt`; so does a symbolic link or anything else that is
// not a regular file, unread: the spool never follows a link out of its folder, and the
// records it writes replace a link found in their place rather than write through it.
import type { FSWatcher } from "node:fs";
import { lstat, mkdir, readdir, rename } from "node:fs/promises";
import { basename, join } from "node:path";
import { FolderScan, watchFolder } from "../../../common/folder-scan.js";
import type { Logger } from "../../../common/log.js";
import { describeIssues, parseJson } from "../../../common/schema.js";
import { openRegularNoFollow, writeFileNoFollow } from "./files.js";
import { JOB_ID, JobRequest } from "./schema.js";
import type { JobRecord } from "./types.js";

export interface SpoolOptions {
  dir: string;
  rescanMs: number;
  maxFileBytes: number;
}

/** What the service answers for one spooled job: accepted, or why not. */
export type SpoolSubmit = (
  request: JobRequest,
  file: string,
) => Promise<{ ok: true } | { ok: false; error: string }>;

export class Spool {
  private readonly known = new Set<string>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  // A failed scan is logged, never thrown: watch events and the timer call it unawaited.
  private readonly scans = new FolderScan(() => this.scanOnce(), {
    onError: (error) => this.log.error("spool scan failed", { error: error.message }),
  });

  constructor(
    private readonly options: SpoolOptions,
    private readonly submit: SpoolSubmit,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const sub of ["done", "failed", "rejected"]) {
      const folder = join(this.options.dir, sub);
      await mkdir(folder, { recursive: true });
      // mkdir is satisfied by a link to a folder elsewhere; records must not go there.
      if (!(await lstat(folder)).isDirectory()) {
        throw new Error(`spool: ${folder} is not a folder (a symbolic link?)`);
      }
    }
    await this.scan();
    this.watcher = watchFolder(this.options.dir, () => void this.scan());
    this.timer = setInterval(() => void this.scan(), this.options.rescanMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.watcher?.close();
    await this.scans.close();
  }

  /** Moves a finished job's file away and writes its record beside it. */
  async finish(file: string, record: JobRecord): Promise<void> {
    const name = basename(file);
    const folder = join(this.options.dir, record.state === "proved" ? "done" : "failed");
    try {
      await writeFileNoFollow(
        join(folder, `${name.replace(/\.json$/, "")}.result.json`),
        `${JSON.stringify(record, null, 2)}\n`,
      );
      await rename(file, join(folder, name));
    } catch (error) {
      this.log.error("spool file not moved", { file, error: (error as Error).message });
    }
    this.known.delete(name);
  }

  scan(): Promise<void> {
    return this.scans.run();
  }

  private async scanOnce(): Promise<void> {
    // Every `*.json` entry, whatever its type: a link or a FIFO is refused in take(), from an
    // open that does not follow it, rather than left to sit in the spool unexplained.
    const names = (await readdir(this.options.dir)).filter((name) => name.endsWith(".json")).sort();
    for (const name of names) {
      if (this.scans.closed) return;
      if (this.known.has(name)) continue;
      this.known.add(name);
      const file = join(this.options.dir, name);
      const error = await this.take(file, name);
      if (error) await this.reject(file, name, error);
    }
  }

  /** Submits one file; the reason it cannot be a job, or null when it was taken. */
  private async take(file: string, name: string): Promise<string | null> {
    const opened = await openRegularNoFollow(file);
    if (!opened.ok) {
      if (opened.code === "symlink") {
        return "a symbolic link (not followed): a spool job must be a regular file in the spool";
      }
      if (opened.code === "not_file") return "not a regular file";
      this.known.delete(name); // gone or unreadable for now: look again next scan
      this.log.debug("spool file not read", { file, error: opened.error });
      return null;
    }
    let text: string;
    try {
      if (opened.stats.size > this.options.maxFileBytes) {
        return `larger than ${this.options.maxFileBytes} bytes`;
      }
      text = await opened.handle.readFile("utf8");
    } catch (error) {
      this.known.delete(name);
      this.log.debug("spool file not read", { file, error: (error as Error).message });
      return null;
    } finally {
      await opened.handle.close();
    }
    if (Buffer.byteLength(text) > this.options.maxFileBytes) {
      return `larger than ${this.options.maxFileBytes} bytes`;
    }
    const json = parseJson(text);
    if (!json.ok) return json.error;
    const parsed = JobRequest.safeParse(json.value);
    if (!parsed.success) return describeIssues(parsed.error);
    const request = parsed.data;
    const stem = name.replace(/\.json$/, "");
    // The file name is the job id unless the file says otherwise, so a restart resubmits
    // the same job rather than a copy.
    if (request.id === undefined && JOB_ID.test(stem)) request.id = stem;
    const reply = await this.submit(request, file);
    return reply.ok ? null : reply.error;
  }

  private async reject(file: string, name: string, error: string): Promise<void> {
    this.log.warn("spool file rejected", { file, error });
    try {
      const folder = join(this.options.dir, "rejected");
      await writeFileNoFollow(
        join(folder, `${name.replace(/\.json$/, "")}.error.txt`),
        `${error}\n`,
      );
      await rename(file, join(folder, name));
    } catch (moveError) {
      this.log.error("spool file not moved", { file, error: (moveError as Error).message });
    }
    this.known.delete(name);
  }
}
