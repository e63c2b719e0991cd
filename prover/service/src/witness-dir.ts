// `witnessFile` names a file that the service opens on a client's word, so witness files are
// read from one folder only, `--witness-dir` (issue 13, "Trust the evidence", item 5): a path
// relative to it or an absolute path inside it, never through a symbolic link, never outside.
//
// The daemon reads files by path, and a path checked now could be swapped for a link before
// a queued job runs. So the file is checked and opened once, at submission, and the job gets
// its own copy of that very file in its out folder (a hard link where the file system allows,
// checked to be the inode that was opened; else a copy read from the open handle). The daemon
// reads the copy, which is removed once the job is finished.
import { createWriteStream, type Stats } from "node:fs";
import { type FileHandle, link, lstat, realpath, rm, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { openedPath, openRegularNoFollow } from "./files.js";

export type Admission = { ok: true } | { ok: false; error: string };

/** Why a job with `witnessFile` is refused when the service has no witness folder. */
export const WITNESS_DIR_OFF =
  "witnessFile is off: start the service with --witness-dir DIR to read witness files from DIR " +
  "(a path relative to it, or an absolute path inside it), or send the witness inline " +
  "(witness or witnessValues)";

export class WitnessDir {
  private constructor(
    /** The folder as configured (absolute); may itself be reached through a link. */
    private readonly given: string,
    /** The folder with every link resolved: what every path is checked against. */
    readonly root: string,
  ) {}

  /** The folder must exist at start: a typo should stop the service, not refuse every job. */
  static async open(dir: string): Promise<WitnessDir> {
    const given = resolve(dir);
    let root: string;
    try {
      root = await realpath(given);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(`--witness-dir ${dir}: ${code ?? (error as Error).message}`);
    }
    if (!(await stat(root)).isDirectory()) throw new Error(`--witness-dir ${dir}: not a folder`);
    return new WitnessDir(given, root);
  }

  /**
   * Checks the file `requested` names and puts the job's copy of it at `dest`. A refusal says
   * why in words of its own: never the file's content, nor anything about a path outside.
   */
  async admit(requested: string, dest: string): Promise<Admission> {
    const refuse = (why: string): Admission => ({
      ok: false,
      error: `witnessFile ${JSON.stringify(requested)} ${why}`,
    });
    const below = this.below(requested);
    if (below === null) {
      return refuse(
        "is not inside the witness folder (--witness-dir): give a path relative to it or an " +
          "absolute path inside it, without '..'",
      );
    }
    const path = join(this.root, below);
    // realpath resolves every link on the way and opens nothing. When it equals the path,
    // no component below the folder is a link (a link would resolve to another name).
    let real: string;
    try {
      real = await realpath(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return refuse("not found in the witness folder");
      if (code === "ELOOP") return refuse("goes through a symbolic link (links are not followed)");
      return refuse(`cannot be read (${code ?? "error"})`);
    }
    if (real !== path) return refuse("goes through a symbolic link (links are not followed)");
    // Not even opened when it is no regular file (a FIFO, a device node).
    const kind = await lstat(path).catch(() => null);
    if (!kind?.isFile()) {
      return refuse(kind ? "is not a regular file" : "not found in the witness folder");
    }
    const opened = await openRegularNoFollow(path);
    if (!opened.ok) {
      if (opened.code === "symlink") {
        return refuse("is a symbolic link (links are not followed)");
      }
      if (opened.code === "missing") return refuse("not found in the witness folder");
      return refuse(opened.error);
    }
    try {
      // A directory component swapped for a link between realpath and open shows here.
      const at = await openedPath(opened.handle);
      if (at !== null && at !== path) return refuse("changed while it was being opened");
      await placeCopy(opened.handle, opened.stats, path, dest);
      return { ok: true };
    } finally {
      await opened.handle.close();
    }
  }

  /** The path below the folder that `requested` names, or null when it names none. */
  private below(requested: string): string | null {
    if (requested.includes("\0")) return null;
    // '..' is refused outright, even where it would stay inside: a lexical '..' after a
    // linked component means something else to the kernel, and no client needs one.
    if (requested.split(/[\\/]/).includes("..")) return null;
    const bases = isAbsolute(requested) ? [this.given, this.root] : [this.root];
    for (const base of bases) {
      const rest = relative(base, resolve(base, requested));
      if (rest !== "" && rest !== ".." && !rest.startsWith(`..${sep}`) && !isAbsolute(rest)) {
        return rest;
      }
    }
    return null;
  }
}

/**
 * The job's copy of the file open at `handle`: a hard link when `dest` is on the same file
 * system (free, and the inode linked is checked to be the one opened), else the bytes read
 * from the handle itself, so that a swap of `path` after the checks is never copied.
 */
async function placeCopy(
  handle: FileHandle,
  stats: Stats,
  path: string,
  dest: string,
): Promise<void> {
  // A leftover from an earlier run of the same job id (a spool job after a restart).
  await rm(dest, { force: true });
  try {
    await link(path, dest);
    const linked = await lstat(dest);
    if (linked.ino === stats.ino && linked.dev === stats.dev) return;
    await rm(dest, { force: true });
  } catch {
    // Another file system, or a file that is not ours to link (fs.protected_hardlinks).
    await rm(dest, { force: true });
  }
  await pipeline(
    handle.createReadStream({ start: 0, autoClose: false }),
    createWriteStream(dest, { flags: "wx" }),
  );
}
