// GPU UUIDs by /dev/nvidiaN minor number, from the driver's own files: NVIDIA's DRA driver names
// devices after the minor (gpu-N), which NVML's index need not equal, and the addon does not
// read it. Each GPU's /proc/driver/nvidia/gpus/<PCI bus id>/information holds lines such as
// "GPU UUID:   GPU-…" and "Device Minor:   0"; the NVIDIA container runtime mounts the folder.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export const NVIDIA_PROC_GPUS = "/proc/driver/nvidia/gpus";

const FIELD = /^\s*(GPU UUID|Device Minor)\s*:\s*(\S+)\s*$/gm;

/** The UUID of each GPU by minor number; empty where the folder is absent or unreadable. */
export async function readMinorNumbers(folder = NVIDIA_PROC_GPUS): Promise<Map<number, string>> {
  const byMinor = new Map<number, string>();
  let entries: string[];
  try {
    entries = await readdir(folder);
  } catch {
    return byMinor;
  }
  for (const entry of entries) {
    let text: string;
    try {
      text = await readFile(join(folder, entry, "information"), "utf8");
    } catch {
      continue;
    }
    let uuid: string | undefined;
    let minor: number | undefined;
    for (const [, key, value] of text.matchAll(FIELD)) {
      if (key === "GPU UUID") uuid = value;
      else if (/^\d+$/.test(value as string)) minor = Number(value);
    }
    if (uuid !== undefined && minor !== undefined) byMinor.set(minor, uuid);
  }
  return byMinor;
}
