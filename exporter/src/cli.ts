import { parseArgs } from "node:util";
import { HELP_USAGE, LOG_USAGE, runService, SERVICE_FLAGS } from "../../common/command.js";
import { parseDuration } from "../../common/duration.js";
import { parseListenAddress } from "../../common/listen.js";
import { WEB_FLAGS, WEB_USAGE, webFlags } from "../../common/web/index.js";
import { COLLECTORS, type ExporterOptions, startExporter } from "./index.js";
import { DEFAULT_POD_RESOURCES_SOCKET } from "./pod-resources/socket.js";

export const USAGE = `Usage: proofwatch exporter [options]

Serves GPU health read from NVML as Prometheus metrics.

Options:
  --listen HOST:PORT           address to serve /metrics, /healthz and / (default 0.0.0.0:9840);
                               :PORT is every address, IPv4 and IPv6, [ADDR]:PORT one IPv6 one
  --web.listen-address HOST:PORT
                               the same flag under node_exporter's name
  --scrape-deadline DURATION   budget for all NVML calls of one scrape, start-up included (default 2s)
  --kubelet.pod-resources-socket PATH
                               read which pod uses each GPU from the kubelet's pod-resources
                               API on this socket; off when not given (in Kubernetes:
                               ${DEFAULT_POD_RESOURCES_SOCKET})
  --kubelet.pod-resources-interval DURATION
                               time between two reads of it (default 30s); scrapes never wait
                               for it, they serve the last good answer
  --collector.NAME             turn a collector on
  --no-collector.NAME          turn a collector off
${HELP_USAGE}
${LOG_USAGE}
${WEB_USAGE}
Collectors (default state):
${COLLECTORS.map((c) => `  ${c.name.padEnd(16)} ${c.defaultEnabled ? "on " : "off"}  ${c.description}`).join("\n")}

Environment:
  PROOFWATCH_NVML_LIBRARY      NVML library to load instead of libnvidia-ml.so.1
  PROOFWATCH_LOG_LEVEL         as --log.level
  PROOFWATCH_LOG_FORMAT        as --log.format
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
      listen: { type: "string" },
      "web.listen-address": { type: "string" },
      "scrape-deadline": { type: "string", default: "2s" },
      "kubelet.pod-resources-socket": { type: "string" },
      "kubelet.pod-resources-interval": { type: "string", default: "30s" },
      ...SERVICE_FLAGS,
      ...WEB_FLAGS,
      ...switches,
    },
  });
  if (values.help) return "help";
  // node_exporter's name for it, so that the flags operators already pass work here too.
  if (values.listen !== undefined && values["web.listen-address"] !== undefined) {
    throw new Error("--listen and --web.listen-address are one flag: give one");
  }
  const listenAt = values.listen ?? values["web.listen-address"] ?? "0.0.0.0:9840";
  const flags = values as Record<string, unknown>;
  const collectors = COLLECTORS.filter((c) => {
    if (flags[`no-collector.${c.name}`]) return false;
    return Boolean(flags[`collector.${c.name}`]) || c.defaultEnabled;
  }).map((c) => c.name);
  const socket = values["kubelet.pod-resources-socket"];
  const intervalMs = parseDuration(values["kubelet.pod-resources-interval"] as string);
  if (intervalMs < 1000) {
    // The kubelet rate-limits this API (--pod-resources-api-qps); the mapping changes with pods.
    throw new Error("--kubelet.pod-resources-interval must be at least 1s");
  }
  if (socket === "") throw new Error("--kubelet.pod-resources-socket needs a path");
  return {
    listen: parseListenAddress(listenAt),
    scrapeDeadlineMs: parseDuration(values["scrape-deadline"] as string),
    collectors,
    web: webFlags(values),
    ...(socket !== undefined ? { podResources: { socket, intervalMs } } : {}),
  };
}

export async function runExporter(argv: string[]): Promise<void> {
  await runService("exporter", argv, USAGE, parseExporterArgs, startExporter);
}
