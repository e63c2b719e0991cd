// Which GPUs this host has, from NVML (fake-nvml in tests and the demo): one worker each.
import type { Logger } from "../../../common/log.js";
import { loadNvml } from "../../../native/index.js";

export interface Gpu {
  /** NVML index: the CUDA device the daemon is told to use. */
  index: number;
  uuid: string;
  name: string | null;
}

const READ_TIMEOUT_MS = 5000;

/** An NVML call that did not answer in time; it may still be running in the driver. */
class NvmlTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NvmlTimeout(`${what} did not answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Every GPU NVML lists and can name. A GPU that is lost or hangs is left out (logged): it
 * could not prove anyway. Empty when NVML itself is unavailable or does not answer: its calls
 * run off the JS thread under a deadline, so a hung driver never stops the service starting.
 */
export async function discoverGpus(log: Logger): Promise<Gpu[]> {
  let nvml: ReturnType<typeof loadNvml>;
  try {
    nvml = loadNvml();
    await withTimeout(nvml.initAsync(), READ_TIMEOUT_MS, "NVML initialisation");
  } catch (error) {
    log.warn("NVML unavailable: no GPU workers", { error: (error as Error).message });
    return [];
  }
  let count: number;
  try {
    count = await withTimeout(nvml.deviceCountAsync(), READ_TIMEOUT_MS, "NVML device count");
  } catch (error) {
    log.warn("NVML unavailable: no GPU workers", { error: (error as Error).message });
    return [];
  }
  const gpus: Gpu[] = [];
  let hung = false;
  for (let index = 0; index < count; index++) {
    try {
      const reading = await withTimeout(
        nvml.readDevice(index, ["identity"]),
        READ_TIMEOUT_MS,
        `GPU ${index}`,
      );
      const uuid = reading.values.uuid;
      if (!uuid) throw new Error(`no uuid (NVML code ${reading.errors.uuid ?? "?"})`);
      gpus.push({ index, uuid, name: reading.values.name ?? null });
    } catch (error) {
      hung ||= error instanceof NvmlTimeout;
      log.warn("GPU left out", { gpu: index, error: (error as Error).message });
    }
  }
  // Shutdown would wait on a call still stuck in the driver; the process keeps NVML open then.
  if (!hung) nvml.shutdown();
  return gpus;
}
