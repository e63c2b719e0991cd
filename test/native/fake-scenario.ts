// Test helper: a scenario file for fake-nvml that a test can rewrite while NVML runs.
import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeNvmlLibraryPath } from "../../native/index.js";

export class ScenarioFile {
  readonly path: string;
  #version = 0;

  constructor(scenario: object) {
    this.path = join(mkdtempSync(join(tmpdir(), "proofwatch-fake-nvml-")), "scenario.json");
    this.write(scenario);
  }

  /** Replaces the file atomically, so fake-nvml never reads half of it. */
  write(scenario: object): void {
    const next = `${this.path}.${++this.#version}`;
    writeFileSync(next, JSON.stringify(scenario));
    renameSync(next, this.path);
  }
}

/**
 * Points the addon at fake-nvml and `scenario`; call before loadNvml().init(), which is when
 * both variables are read.
 */
export function useFakeNvml(scenario: object): ScenarioFile {
  const file = new ScenarioFile(scenario);
  process.env.PROOFWATCH_NVML_LIBRARY = fakeNvmlLibraryPath();
  process.env.FAKE_NVML_SCENARIO = file.path;
  return file;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it is true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}
