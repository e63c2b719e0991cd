// common/ is the services' runtime kit, compiled into dist/ with them; the harness the demo
// and the tests share (Prometheus and Alertmanager launchers, exposition parsing, free ports)
// lives in demo/src. Neither the kit nor a service may reach into the demo or the tests.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../common/package-root.js";

const SERVICE_CODE = [
  "common",
  "exporter/src",
  "verifier/src",
  "quarantine/src",
  "prover/service/src",
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("layout", () => {
  it("keeps service code and common/ from importing the demo's or the tests' files", () => {
    const root = packageRoot();
    const offending = SERVICE_CODE.flatMap((dir) => sources(join(root, dir)))
      .filter((file) => /from\s+"(?:\.\.\/)+(?:demo|test)\//.test(readFileSync(file, "utf8")))
      .map((file) => relative(root, file));

    expect(offending).toEqual([]);
  });
});
