// `npm run alerts`: writes alerts/*.rules.yml from the TypeScript in this folder.
// test/alerts/generated.test.ts fails when the committed files differ.
//
//   npm run alerts                                     the committed rules (default config)
//   npm run alerts -- --config site.yml --out DIR      your labels and thresholds, into DIR
//   npm run alerts -- --print-config [--config FILE]   the config in effect, as JSON
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { configFromFlag, writeGenerated } from "./generate.js";
import { type AlertsConfig, renderAll } from "./index.js";

const USAGE = `Usage: npm run alerts -- [--config FILE] [--out DIR] [--print-config]

Writes the proofwatch alert rules, one *.rules.yml per group.

  --config FILE    JSON or YAML with the settings to change (see alerts/src/config.ts and
                   alerts/README.md); the rest keep their defaults
  --out DIR        where to write (default: alerts/ in this checkout)
  --print-config   print the config in effect as JSON and write nothing
  -h, --help       this text
`;

const alertsDir = join(dirname(fileURLToPath(import.meta.url)), "..");

function main(): number {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values } = args;
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
  if (values["print-config"]) {
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return 0;
  }
  const files = renderAll(config, values.config ? { configSource: values.config } : {});
  writeGenerated(files, resolve(values.out ?? alertsDir), alertsDir, ".rules.yml");
  return 0;
}

function parse() {
  return parseArgs({
    options: {
      config: { type: "string" },
      out: { type: "string" },
      "print-config": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
  });
}

process.exitCode = main();
