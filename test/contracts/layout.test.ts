// contracts/ is shared by every component, so it depends on none: each file imports zod and
// its neighbours only (docs: contracts/README.md).
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../prover/fixtures.js";

describe("contracts/", () => {
  it("imports nothing but zod and itself", async () => {
    const dir = join(repoRoot, "contracts");
    const files = (await readdir(dir)).filter((name) => name.endsWith(".ts"));
    const imports: string[] = [];
    for (const file of files) {
      const text = await readFile(join(dir, file), "utf8");
      for (const match of text.matchAll(/^(?:import|export)\b[^;]*?from "([^"]+)"/gms)) {
        imports.push(match[1] as string);
      }
    }

    expect(files.length).toBeGreaterThan(0);
    expect(imports.filter((from) => from !== "zod" && !/^\.\/[a-z0-9-]+\.js$/.test(from))).toEqual(
      [],
    );
  });
});
