// A fake-nvml fleet file that the end-to-end test and bench/chain change mid-run: fake-nvml
// re-reads its scenario when the file is replaced (native/fake-nvml/README.md, "Reloading").
import { renameSync, writeFileSync } from "node:fs";

/** Stable uuids for a generated fleet. */
export const uuidOf = (index: number) => `GPU-e2e0000${index}-0000-4000-8000-00000000000${index}`;

/** A scenario of `gpus` healthy GPUs, with NVML field values for some of them. */
export function writeFleet(
  path: string,
  gpus: number,
  fields: Record<number, Record<string, number>> = {},
): void {
  const scenario = {
    driverVersion: "550.54.15",
    devices: Array.from({ length: gpus }, (_, index) => ({
      uuid: uuidOf(index),
      ...(fields[index] ? { fields: fields[index] } : {}),
    })),
  };
  // Aside, then renamed over: fake-nvml never reads half a file.
  writeFileSync(`${path}.tmp`, JSON.stringify(scenario));
  renameSync(`${path}.tmp`, path);
}
