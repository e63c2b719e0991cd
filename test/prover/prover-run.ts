import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { makeTempDir } from "../helpers/tmpdir.js";
import {
  benchCircuitMissingReason,
  benchCircuitPresent,
  type CircuitFixture,
  circuitNames,
  ensureCircuit,
  type ProverRun,
  proverMissingReason,
  proverPresent,
  runProver,
} from "./fixtures.js";
import { testkitMissingReason, testkitPresent } from "./testkit.js";

/** Asserts a clean prover exit, showing its stderr when it was not. */
export function expectProverOk(run: ProverRun): void {
  expect(run, `proofwatch-prover failed:\n${run.stderr}`).toMatchObject({ code: 0 });
}

export async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, "utf8"));
}

/**
 * The fixture circuits and one suite's temporary folder for proofs: `setUp` (in a
 * beforeAll) builds or loads every circuit, `prove` writes a fresh proof and public-signals
 * pair named after its tag.
 */
export class ProofBench {
  private tmp: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  private readonly fixtures = new Map<string, CircuitFixture>();

  constructor(private readonly tempPrefix: string) {}

  async setUp(): Promise<void> {
    this.tmp = await makeTempDir(this.tempPrefix);
    for (const name of circuitNames) this.fixtures.set(name, await ensureCircuit(name));
  }

  async tearDown(): Promise<void> {
    await this.tmp?.cleanup();
  }

  /** The suite's temporary folder. */
  get dir(): string {
    if (!this.tmp) throw new Error("ProofBench used before setUp");
    return this.tmp.dir;
  }

  fixture(name: string): CircuitFixture {
    const found = this.fixtures.get(name);
    if (!found) throw new Error(`no fixture ${name}`);
    return found;
  }

  /**
   * Proves `f` into a fresh pair of files named after `tag`; returns their paths. `env`
   * replaces the prover's environment (default: this process's).
   */
  async prove(
    f: CircuitFixture,
    tag: string,
    extra: readonly string[] = [],
    env?: NodeJS.ProcessEnv,
  ) {
    const proof = join(this.dir, `${f.name}-${tag}-proof.json`);
    const pub = join(this.dir, `${f.name}-${tag}-public.json`);
    expectProverOk(await runProver([f.zkey, f.wtns, proof, pub, ...extra], undefined, env));
    return { proof, pub };
  }
}

/**
 * `describe` for tests that need a built binary. Until it is built they are skipped, with
 * the reason in the suite name and on stderr so a green run cannot hide it; CI builds the
 * binaries first, so there they run.
 */
function describeNeeding(missingReason: string | undefined, title: string, body: () => void): void {
  if (missingReason !== undefined) console.warn(`SKIPPED ${title}: ${missingReason}`);
  describe.skipIf(missingReason !== undefined)(
    missingReason === undefined ? title : `${title} (skipped: ${missingReason})`,
    body,
  );
}

/** `describe` for tests that need the prover binary; skipped, visibly, until it is built. */
export function describeWithProver(title: string, body: () => void): void {
  describeNeeding(proverPresent ? undefined : proverMissingReason, title, body);
}

/** `describe` for tests that need prover-testkit; skipped, visibly, until it is built. */
export function describeWithTestkit(title: string, body: () => void): void {
  describeNeeding(testkitPresent ? undefined : testkitMissingReason, title, body);
}

/** `describe` for tests that need prover-bench-circuit and the prover. */
export function describeWithBenchCircuit(title: string, body: () => void): void {
  const missing = !proverPresent
    ? proverMissingReason
    : !benchCircuitPresent
      ? benchCircuitMissingReason
      : undefined;
  describeNeeding(missing, title, body);
}

export interface Mismatch<I, O> {
  input: I;
  got: O | undefined;
  want: O;
}

/**
 * The cases whose result differs from the reference: an empty list when all agree, and
 * a short, readable failure (inputs with both answers) instead of a diff of hundreds.
 */
export function mismatches<I, O>(
  inputs: readonly I[],
  results: readonly O[],
  reference: (input: I) => O,
  limit = 5,
): Array<Mismatch<I, O>> {
  const out: Array<Mismatch<I, O>> = [];
  inputs.forEach((input, i) => {
    const want = reference(input);
    const got = results[i];
    if (
      out.length < limit &&
      JSON.stringify(got, bigintJson) !== JSON.stringify(want, bigintJson)
    ) {
      out.push({ input, got, want });
    }
  });
  if (results.length !== inputs.length) {
    throw new Error(`${results.length} results for ${inputs.length} inputs`);
  }
  return out;
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
