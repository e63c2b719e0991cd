import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface LockOptions {
  /** Give up waiting after this long. */
  timeoutMs?: number;
  pollMs?: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function ownerIsGone(lockDir: string): Promise<boolean> {
  try {
    const pid = Number.parseInt(await readFile(join(lockDir, "owner"), "utf8"), 10);
    return Number.isInteger(pid) && !isAlive(pid);
  } catch {
    // No owner file yet: either the owner is between mkdir and writeFile, or it died
    // there. Only call it stale once it is old enough that the first cannot be true.
    try {
      return Date.now() - (await stat(lockDir)).mtimeMs > 30_000;
    } catch {
      return false;
    }
  }
}

/**
 * Runs `fn` while holding a cross-process lock: a directory, because `mkdir` is atomic
 * and fails with EEXIST for everyone but one caller. Test workers of one vitest run (and
 * two runs side by side) share `.cache/`, so two of them may want the same fixture at
 * once. A lock left by a killed process is taken over once its owner pid is gone. The
 * callers also publish their results with a rename, so even a wrongly broken lock only
 * costs duplicated work, never a half-written fixture.
 */
export async function withLock<T>(
  lockDir: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  const pollMs = options.pollMs ?? 250;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await ownerIsGone(lockDir)) {
      // Rename before removing so that only one waiter breaks this particular lock.
      const stale = `${lockDir}.stale-${process.pid}-${Date.now()}`;
      await rename(lockDir, stale).then(
        () => rm(stale, { recursive: true, force: true }),
        () => undefined,
      );
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockDir}`);
    await sleep(pollMs);
  }
  try {
    await writeFile(join(lockDir, "owner"), String(process.pid));
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
