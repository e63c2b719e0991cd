// Which proofs get checked is decided here, by the verifier, from its own randomness and its
// own record of each GPU; nothing a prover sends can change it.
import { randomBytes } from "node:crypto";
import type { GpuState, SamplingDecision } from "./store.js";

export interface SamplingOptions {
  /** Share of proofs checked, 0..1, for circuits without a rate of their own. */
  baseRate: number;
  /** Valid proofs in a row that end a GPU's probation (checking at 100%). */
  recoverAfter: number;
}

/** Uniform in [0, 1) from 48 bits of the OS CSPRNG: a prover cannot predict the draw. */
export function secureRandom(): number {
  return randomBytes(6).readUIntBE(0, 6) / 2 ** 48;
}

export class Sampler {
  constructor(
    private readonly options: SamplingOptions,
    /** A circuit's own rate (flag or its folder's verifier.json), when it has one. */
    private readonly circuitRate: (circuit: string) => number | undefined,
    private readonly random: () => number = secureRandom,
  ) {}

  get recoverAfter(): number {
    return this.options.recoverAfter;
  }

  get baseRate(): number {
    return this.options.baseRate;
  }

  rate(circuit: string): number {
    return this.circuitRate(circuit) ?? this.options.baseRate;
  }

  /** The rate a GPU is checked at now, outside any one circuit's own rate. */
  gpuRate(probation: boolean): number {
    return probation ? 1 : this.options.baseRate;
  }

  decide(circuit: string, gpu: GpuState): SamplingDecision {
    if (gpu.probation) {
      return {
        checked: true,
        rate: 1,
        reason: `gpu on probation: ${gpu.validStreak} of ${this.options.recoverAfter} valid in a row`,
      };
    }
    const rate = this.rate(circuit);
    if (rate >= 1) return { checked: true, rate, reason: `rate ${rate}` };
    if (rate <= 0) return { checked: false, rate, reason: `rate ${rate}` };
    const draw = this.random();
    const checked = draw < rate;
    return {
      checked,
      rate,
      reason: `rate ${rate}, draw ${draw.toFixed(6)} ${checked ? "<" : ">="} ${rate}`,
    };
  }
}
