// Files that others name or place (spool jobs, witness files) are opened without following a
// symbolic link, and the files the service writes next to them are written without following
// one either: whoever can write into those folders, or name a path in a request, must not be
// able to point the service at a file elsewhere.
import { randomBytes } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { type FileHandle, lstat, open, readlink, rename, rm, writeFile } from "node:fs/promises";

// O_NONBLOCK: opening a FIFO would otherwise wait for a writer (and hang a request or a scan);
// it changes nothing for a regular file. O_NOCTTY: a terminal device never becomes ours.
const READ_NO_FOLLOW =
  constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

export type Opened =
  | { ok: true; handle: FileHandle; stats: Stats }
  | { ok: false; code: "symlink" | "not_file" | "missing" | "unreadable"; error: string };

/**
 * Opens `path` for reading when its last component is a regular file and not a symbolic link
 * (checked by O_NOFOLLOW at the open and by fstat after it, so a swap between the two checks
 * changes nothing). Directory components are the caller's concern.
 */
export async function openRegularNoFollow(path: string): Promise<Opened> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_NO_FOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") {
      // ELOOP under O_NOFOLLOW means the last component is a link; lstat says so without
      // following it (and tells a link from a loop further up).
      const isLink = await lstat(path).then(
        (stats) => stats.isSymbolicLink(),
        () => false,
      );
      if (isLink) return { ok: false, code: "symlink", error: "is a symbolic link" };
    }
    if (code === "ENOENT" || code === "ENOTDIR") {
      return { ok: false, code: "missing", error: "not found" };
    }
    return { ok: false, code: "unreadable", error: `cannot be opened (${code ?? "error"})` };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return { ok: false, code: "not_file", error: "is not a regular file" };
    }
    return { ok: true, handle, stats };
  } catch (error) {
    await handle.close();
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, code: "unreadable", error: `cannot be read (${code ?? "error"})` };
  }
}

/**
 * Where the kernel says an open file is (Linux: /proc/self/fd/N), or null where that cannot
 * be asked. Read after the open, it shows the path the open really took, whatever a directory
 * component was swapped for on the way.
 */
export async function openedPath(handle: FileHandle): Promise<string | null> {
  try {
    return await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return null;
  }
}

/**
 * Writes `data` to `path` without following a link that sits there: the data goes to a new
 * file (O_EXCL, which never follows a link) and is renamed over `path`, which replaces a link
 * rather than writing through it. Readers also never see a half-written file.
 */
export async function writeFileNoFollow(path: string, data: string | Buffer): Promise<void> {
  const aside = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(aside, data, { flag: "wx" });
    await rename(aside, path);
  } catch (error) {
    await rm(aside, { force: true });
    throw error;
  }
}
