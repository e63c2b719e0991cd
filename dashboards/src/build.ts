// `npm run dashboards`: writes dashboards/json/*.json from the TypeScript in this folder.
// test/dashboards/generated.test.ts fails when the committed files differ.
//
//   npm run dashboards                                  the committed dashboards
//   npm run dashboards -- --config site.yml --out DIR   with your alert thresholds (the file
//                                                       `npm run alerts -- --config` takes)
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { defaultConfig, loadConfig } from "./alert-config.js";
import { renderAll } from "./index.js";

const USAGE = `Usage: npm run dashboards -- [--config FILE] [--out DIR]

  --config FILE   the alerts config (JSON or YAML, alerts/README.md) whose thresholds the
                  panels show; the defaults otherwise
  --out DIR       where to write (default: dashboards/json/ in this checkout)
  -h, --help      this text
`;

const jsonDir = join(dirname(fileURLToPath(import.meta.url)), "..", "json");

function main(): number {
  let values: { config?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        config: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let config = defaultConfig;
  if (values.config !== undefined) {
    try {
      config = loadConfig(values.config);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      return 2;
    }
  }
  const out = resolve(values.out ?? jsonDir);
  mkdirSync(out, { recursive: true });
  const files = renderAll(config);
  // A dashboard removed from the sources must not linger as a stale file. Only in json/ itself:
  // another folder may hold dashboards of its own.
  if (out === resolve(jsonDir)) {
    for (const name of readdirSync(out)) {
      if (name.endsWith(".json") && !files.has(name)) rmSync(join(out, name));
    }
  }
  for (const [name, text] of files) {
    writeFileSync(join(out, name), text);
    process.stdout.write(`wrote ${relative(process.cwd(), join(out, name)) || name}\n`);
  }
  return 0;
}

process.exitCode = main();
