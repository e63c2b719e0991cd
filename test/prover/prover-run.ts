import { readFile } from "node:fs/promises";
import { describe, expect } from "vitest";
import { type ProverRun, proverMissingReason, proverPresent } from "./fixtures.js";

/** Asserts a clean prover exit, showing its stderr when it was not. */
export function expectProverOk(run: ProverRun): void {
  expect(run, `proofwatch-prover failed:\n${run.stderr}`).toMatchObject({ code: 0 });
}

export async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, "utf8"));
}

/**
 * `describe` for tests that need the prover binary. Until it is built they are skipped,
 * with the reason in the suite name and on stderr so a green run cannot hide it; CI
 * builds the binary first, so there they run.
 */
export function describeWithProver(title: string, body: () => void): void {
  if (!proverPresent) console.warn(`SKIPPED ${title}: ${proverMissingReason}`);
  describe.skipIf(!proverPresent)(
    proverPresent ? title : `${title} (skipped: ${proverMissingReason})`,
    body,
  );
}
