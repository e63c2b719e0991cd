// `file`: the quarantine list as JSON, replaced atomically (write, fsync, rename, fsync the
// folder), so a reader sees the old list or the new one, never half of either.
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import type { QuarantineAction, QuarantineList, Target } from "../types.js";

export const FileActionConfig = z.object({ path: z.string().min(1) }).strict();

export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const file = await open(temporary, "w", 0o644);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  const folder = await open(dirname(path), "r");
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

export function renderList(list: QuarantineList): string {
  return `${JSON.stringify(list, null, 2)}\n`;
}

export function createFileAction(config: z.infer<typeof FileActionConfig>): QuarantineAction {
  // Apply and release are the same thing here: publish the whole desired state.
  const publish = (target: Target) => writeFileAtomic(config.path, renderList(target.fleet));
  return {
    name: "file",
    apply: publish,
    release: publish,
    init: (fleet) => writeFileAtomic(config.path, renderList(fleet)),
  };
}
