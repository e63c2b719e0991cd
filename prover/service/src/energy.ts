// The energy of each proof on each GPU, from NVML's total-energy counter (the one the exporter
// serves as proofwatch_gpu_energy_joules_total): read as a job starts on a GPU and as it ends,
// the difference added to proofwatch_prover_energy_joules_total{circuit,uuid}. With
// proofwatch_prover_proofs_total that gives joules per proof and proofs per kWh by circuit.
//
// The counter is the whole board's: it includes whatever else runs on the GPU meanwhile (one
// worker proves one job at a time per GPU, so normally nothing), and the zkey load of a job
// that starts its circuit's daemon.
import type { Logger } from "../../../common/log.js";
import { loadNvml, type NvmlBinding } from "../../../native/index.js";
import type { Gpu } from "./gpus.js";

/** NVML answers in microseconds; a read that takes this long is a hung driver, not data. */
const READ_TIMEOUT_MS = 2000;

/** undefined when `work` has not settled within `ms` (it is left to settle on its own). */
function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** A job's energy on one GPU, measuring since begin(). */
export interface JobEnergy {
  /** Joules since begin(), or null where NVML could not tell (no counter, a read failed). */
  end(): Promise<number | null>;
}

export class EnergyMeter {
  private closed = false;

  private constructor(
    private readonly nvml: NvmlBinding,
    private readonly log: Logger,
  ) {}

  /**
   * Holds NVML open for the service's life; null (logged) where it cannot be had, so proofs
   * go on unmeasured.
   */
  static async open(log: Logger): Promise<EnergyMeter | null> {
    try {
      const nvml = loadNvml();
      const init = nvml.initAsync();
      if (
        (await within(
          init.then(() => true),
          READ_TIMEOUT_MS,
        )) !== true
      ) {
        // Still pending: shut down once it returns, so NVML's reference count stays right.
        void init.then(
          () => nvml.shutdown(),
          () => {},
        );
        log.warn("energy per proof off: nvmlInit did not answer");
        return null;
      }
      return new EnergyMeter(nvml, log);
    } catch (error) {
      log.warn("energy per proof off: NVML unavailable", { error: (error as Error).message });
      return null;
    }
  }

  /** Starts measuring a job on `gpu`; the first read is queued at once on the GPU's thread. */
  begin(gpu: Gpu): JobEnergy {
    const start = this.read(gpu);
    return {
      end: async () => {
        const [before, after] = await Promise.all([start, this.read(gpu)]);
        if (before === undefined || after === undefined) return null;
        // A driver reloaded during the job restarts its counter: no difference to trust.
        if (after < before) return null;
        return (after - before) / 1000;
      },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.nvml.shutdown();
  }

  /** The GPU's energy counter in millijoules; undefined when NVML gave none in time. */
  private async read(gpu: Gpu): Promise<number | undefined> {
    if (this.closed) return undefined;
    try {
      const reading = await within(this.nvml.readDevice(gpu.index, ["power"]), READ_TIMEOUT_MS);
      return reading?.values.totalEnergyMillijoules;
    } catch (error) {
      this.log.debug("energy counter unread", { uuid: gpu.uuid, error: (error as Error).message });
      return undefined;
    }
  }
}
