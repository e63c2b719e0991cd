// `npm run dashboards`: writes dashboards/json/*.json from the TypeScript in this folder.
// test/dashboards/generated.test.ts fails when the committed files differ.
//
//   npm run dashboards                                  the committed dashboards
//   npm run dashboards -- --config site.yml --out DIR   with your alert thresholds (the file
//                                                       `npm run alerts -- --config` takes)
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { configFromFlag, writeGenerated } from "../../alerts/src/generate.js";
import type { AlertsConfig } from "./alert-config.js";
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
  let config: AlertsConfig;
  try {
    config = configFromFlag(values.config);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  writeGenerated(renderAll(config), resolve(values.out ?? jsonDir), jsonDir, ".json");
  return 0;
}

process.exitCode = main();
