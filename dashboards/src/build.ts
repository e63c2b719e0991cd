// `npm run dashboards`: writes dashboards/json/*.json from the TypeScript in this folder.
// test/dashboards/generated.test.ts fails when the committed files differ.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderAll } from "./index.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "json");
mkdirSync(out, { recursive: true });
const files = renderAll();
// A dashboard removed from the sources must not linger as a stale file.
for (const name of readdirSync(out)) {
  if (name.endsWith(".json") && !files.has(name)) rmSync(join(out, name));
}
for (const [name, text] of files) {
  writeFileSync(join(out, name), text);
  process.stdout.write(`wrote dashboards/json/${name}\n`);
}
