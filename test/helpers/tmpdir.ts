import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh folder under the OS temp dir and a function that removes it. */
export async function makeTempDir(prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), `proofwatch-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
