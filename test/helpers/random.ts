import { createHash } from "node:crypto";

/**
 * A seeded source of big random integers (SHA-256 in counter mode), so a failing random
 * case can be replayed: tests print their seed, and PROOFWATCH_TEST_SEED sets it.
 */
export class Rng {
  private counter = 0;

  constructor(readonly seed: string) {}

  static fromEnv(fallback: string): Rng {
    return new Rng(process.env.PROOFWATCH_TEST_SEED ?? fallback);
  }

  private block(): bigint {
    const digest = createHash("sha256")
      .update(`${this.seed}\0${this.counter++}`)
      .digest("hex");
    return BigInt(`0x${digest}`);
  }

  /** Uniform-ish in [0, m): 512 random bits reduced mod m, bias below 2^-250. */
  below(m: bigint): bigint {
    return ((this.block() << 256n) | this.block()) % m;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Number(this.below(BigInt(n)));
  }
}
