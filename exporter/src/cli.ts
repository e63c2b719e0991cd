import { parseArgs } from "node:util";
import { runService } from "../../common/command.js";
import { parseDuration } from "../../common/duration.js";
import { parseListenAddress } from "../../common/listen.js";
import { WEB_FLAGS, WEB_USAGE, webFlags } from "../../common/web/index.js";
import { COLLECTORS, type ExporterOptions, startExporter } from "./index.js";

export const USAGE = `Usage: proofwatch exporter [options]

Serves GPU health read from NVML as Prometheus metrics.

Options:
  --listen HOST:PORT           address to serve /metrics, /healthz and / (default 0.0.0.0:9840)
  --scrape-deadline DURATION   budget for all NVML calls of one scrape, start-up included (default 2s)
  --collector.NAME             turn a collector on
  --no-collector.NAME          turn a collector off
  --help                       show this help

${WEB_USAGE}
Collectors (default state):
${COLLECTORS.map((c) => `  ${c.name.padEnd(16)} ${c.defaultEnabled ? "on " : "off"}  ${c.description}`).join("\n")}

Environment:
  PROOFWATCH_NVML_LIBRARY      NVML library to load instead of libnvidia-ml.so.1
  PROOFWATCH_LOG_LEVEL         debug|info|warn|error (default info)
`;

export function parseExporterArgs(argv: string[]): ExporterOptions | "help" {
  const switches = Object.fromEntries(
    COLLECTORS.flatMap((c) => [
      [`collector.${c.name}`, { type: "boolean" as const }],
      [`no-collector.${c.name}`, { type: "boolean" as const }],
    ]),
  );
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      listen: { type: "string", default: "0.0.0.0:9840" },
      "scrape-deadline": { type: "string", default: "2s" },
      help: { type: "boolean", default: false },
      ...WEB_FLAGS,
      ...switches,
    },
  });
  if (values.help) return "help";
  const flags = values as Record<string, unknown>;
  const collectors = COLLECTORS.filter((c) => {
    if (flags[`no-collector.${c.name}`]) return false;
    return Boolean(flags[`collector.${c.name}`]) || c.defaultEnabled;
  }).map((c) => c.name);
  return {
    listen: parseListenAddress(values.listen as string),
    scrapeDeadlineMs: parseDuration(values["scrape-deadline"] as string),
    collectors,
    web: webFlags(values),
  };
}

export async function runExporter(argv: string[]): Promise<void> {
  await runService(parseExporterArgs(argv), USAGE, startExporter);
}
