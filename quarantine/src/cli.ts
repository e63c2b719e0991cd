import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import {
  asUsage,
  HELP_FLAGS,
  HELP_USAGE,
  helpOrVersion,
  LOG_USAGE,
  ratio,
  runService,
  SERVICE_FLAGS,
  versionText,
  wholeNumber,
} from "../../common/command.js";
import { parseDuration } from "../../common/duration.js";
import { parseListenAddress } from "../../common/listen.js";
import { WEB_FLAGS, WEB_USAGE, webFlags } from "../../common/web/index.js";
import { DEVICE_TAINT_EFFECTS, type DeviceTaintEffect } from "./actions/device-taints.js";
import { ActionsConfig } from "./actions/index.js";
import { AdminClient } from "./admin-client.js";
import { type QuarantineOptions, startQuarantine } from "./index.js";

export const USAGE = `Usage: proofwatch quarantine [options]
       proofwatch quarantine release UUID --reason TEXT [client options]
       proofwatch quarantine release-node HOST --reason TEXT [client options]
       proofwatch quarantine reset-breaker --reason TEXT [client options]
       proofwatch quarantine status [client options]
       proofwatch quarantine list [client options]

Takes GPUs (and, as an escalation, nodes) out of service when Alertmanager sends an alert
labelled proofwatch_action="quarantine" to POST /v1/alertmanager. See docs/quarantine.md.

Service options:
  --listen HOST:PORT        address to serve on (default 0.0.0.0:9842)
  --db FILE                 SQLite database (WAL) holding state, outbox and audit (required)
  --token-file FILE         bearer token callers may send (alias of a bearer_tokens entry
                            named "token" in --web.config.file)
  --basic-auth-file FILE    user:password callers may send (alias of basic_auth_users)
  --tls-cert FILE, --tls-key FILE
                            serve HTTPS (alias of tls_server_config)
  --client-ca FILE          require client certificates signed by this CA (alias of
                            client_auth_type RequireAndVerifyClientCert)
  --config FILE             JSON: actions, optOutHosts, escalateAfter, autoRelease, inventory
  --quarantine-file FILE    shorthand for the "file" action writing the list to FILE
  --fleet-size N            GPUs in the fleet; the share limit never counts fewer
  --known-gpus FILE         lines of "UUID [HOST]" (operator-written): GPUs the limit counts
  --inventory-prometheus URL
                            also count the GPUs whose proofwatch_gpu_info series this
                            Prometheus holds (the last good answer is kept while it is
                            down); one of these three is required, and UUIDs named only
                            in alerts never count
  --inventory-interval DURATION
                            how often that inventory is read (default 1m)
  --max-share RATIO         most of the known GPUs out of service, 0..1 (default 0.25)
  --max-new N               most new quarantines per window (default 10)
  --window DURATION         window of --max-new (default 1h)
  --escalate-after N        quarantine the node once N of its GPUs are (default 0: off)
  --opt-out HOST            never act on this host (repeatable)
  --dry-run                 decide and audit, change nothing
  --device-taint-effect EFFECT
                            the kubernetes action's DRA device taint on a quarantined GPU:
                            NoSchedule (default: no new claims get it) or NoExecute (the
                            pods using it are evicted too); overrides the config file's
                            actions.kubernetes.deviceTaintEffect
  --retry-interval DURATION how often failed actions are retried (default 10s)
  --action-timeout DURATION longest one backend call may take (default 30s)
${HELP_USAGE}
${LOG_USAGE}
${WEB_USAGE}
Client options:
  --url URL                 the service (default http://127.0.0.1:9842)
  --token-file FILE         bearer token to send

Environment:
  PROOFWATCH_LOG_LEVEL      as --log.level
  PROOFWATCH_LOG_FORMAT     as --log.format
`;

const ConfigFile = z
  .object({
    actions: ActionsConfig.default({}),
    optOutHosts: z.array(z.string()).default([]),
    escalateAfter: z.number().int().min(0).optional(),
    autoRelease: z
      .object({
        prometheusUrl: z.url(),
        hold: z.string().default("30m"),
        interval: z.string().default("1m"),
      })
      .strict()
      .optional(),
    inventory: z
      .object({
        prometheusUrl: z.url({ protocol: /^https?$/ }),
        interval: z.string().default("1m"),
        lookback: z.string().default("1h"),
      })
      .strict()
      .optional(),
  })
  .strict();

function positive(ms: number, what: string): number {
  if (ms <= 0) throw new Error(`${what} must be longer than 0`);
  return ms;
}

export function parseServiceArgs(argv: string[]): QuarantineOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      listen: { type: "string", default: "0.0.0.0:9842" },
      db: { type: "string" },
      "token-file": { type: "string" },
      "basic-auth-file": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "client-ca": { type: "string" },
      config: { type: "string" },
      "quarantine-file": { type: "string" },
      "fleet-size": { type: "string" },
      "known-gpus": { type: "string" },
      "inventory-prometheus": { type: "string" },
      "inventory-interval": { type: "string" },
      "max-share": { type: "string", default: "0.25" },
      "max-new": { type: "string", default: "10" },
      window: { type: "string", default: "1h" },
      "escalate-after": { type: "string" },
      "opt-out": { type: "string", multiple: true, default: [] },
      "dry-run": { type: "boolean", default: false },
      "device-taint-effect": { type: "string" },
      "retry-interval": { type: "string", default: "10s" },
      "action-timeout": { type: "string", default: "30s" },
      ...SERVICE_FLAGS,
      ...WEB_FLAGS,
    },
  });
  if (values.help) return "help";
  if (!values.db) throw new Error("--db is required");
  if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) {
    throw new Error("--tls-cert and --tls-key go together");
  }
  const maxShare = ratio(values["max-share"] as string, "--max-share");

  const config = values.config
    ? ConfigFile.parse(JSON.parse(readFileSync(values.config, "utf8")))
    : ConfigFile.parse({});
  const actions = { ...config.actions };
  if (values["quarantine-file"]) actions.file = { path: values["quarantine-file"] };
  const effect = values["device-taint-effect"];
  if (effect !== undefined) {
    if (!(DEVICE_TAINT_EFFECTS as readonly string[]).includes(effect)) {
      throw new Error(`--device-taint-effect must be one of ${DEVICE_TAINT_EFFECTS.join(", ")}`);
    }
    if (!actions.kubernetes) {
      throw new Error(
        "--device-taint-effect needs the kubernetes action (actions.kubernetes in --config)",
      );
    }
    actions.kubernetes = { ...actions.kubernetes, deviceTaintEffect: effect as DeviceTaintEffect };
  }
  const inventoryUrl = values["inventory-prometheus"] ?? config.inventory?.prometheusUrl;
  if (values["inventory-interval"] && !inventoryUrl) {
    throw new Error("--inventory-interval needs --inventory-prometheus");
  }
  if (inventoryUrl && !z.url({ protocol: /^https?$/ }).safeParse(inventoryUrl).success) {
    throw new Error("--inventory-prometheus must be an http(s) URL");
  }

  return {
    listen: parseListenAddress(values.listen as string),
    db: values.db,
    web: webFlags(values),
    auth: {
      tokenFile: values["token-file"],
      basicAuthFile: values["basic-auth-file"],
      clientCa: values["client-ca"],
    },
    tls:
      values["tls-cert"] && values["tls-key"]
        ? { cert: values["tls-cert"], key: values["tls-key"] }
        : null,
    fleetSize: wholeNumber(values["fleet-size"], "--fleet-size", 0, 0),
    knownGpusFile: values["known-gpus"] ?? null,
    inventory: inventoryUrl
      ? {
          prometheusUrl: inventoryUrl,
          intervalMs: positive(
            parseDuration(values["inventory-interval"] ?? config.inventory?.interval ?? "1m"),
            "--inventory-interval",
          ),
          lookbackMs: parseDuration(config.inventory?.lookback ?? "1h"),
        }
      : null,
    limits: {
      maxShare,
      maxNew: wholeNumber(values["max-new"], "--max-new", 10, 0),
      windowMs: parseDuration(values.window as string),
    },
    dryRun: values["dry-run"] as boolean,
    optOutHosts: [...config.optOutHosts, ...(values["opt-out"] as string[])],
    escalateAfter: wholeNumber(
      values["escalate-after"],
      "--escalate-after",
      config.escalateAfter ?? 0,
      0,
    ),
    actions,
    autoRelease: config.autoRelease
      ? {
          prometheusUrl: config.autoRelease.prometheusUrl,
          holdMs: parseDuration(config.autoRelease.hold),
          intervalMs: parseDuration(config.autoRelease.interval),
        }
      : null,
    retryIntervalMs: parseDuration(values["retry-interval"] as string),
    actionTimeoutMs: parseDuration(values["action-timeout"] as string),
    bodyLimitBytes: 1024 * 1024,
  };
}

function parseClientArgs(verb: ClientVerb, argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      url: { type: "string", default: "http://127.0.0.1:9842" },
      "token-file": { type: "string" },
      reason: { type: "string" },
      ...HELP_FLAGS,
    },
  });
  const needsReason = verb !== "status" && verb !== "list";
  const reason = values.reason ?? "";
  if (needsReason && !reason) throw new Error(`${verb} needs --reason`);
  const subject = positionals[0] ?? "";
  if ((verb === "release" || verb === "release-node") && !subject) {
    throw new Error(`${verb} needs ${verb === "release" ? "a GPU UUID" : "a host"}`);
  }
  return { values, reason, subject };
}

async function client(verb: ClientVerb, argv: string[]): Promise<void> {
  const early = helpOrVersion(argv);
  if (early) {
    process.stdout.write(early === "help" ? USAGE : versionText(`quarantine ${verb}`));
    return;
  }
  const { values, reason, subject } = asUsage(() => parseClientArgs(verb, argv));
  const admin = new AdminClient({
    url: values.url as string,
    token: values["token-file"] ? readFileSync(values["token-file"], "utf8").trim() : undefined,
  });
  const reply = await {
    release: () => admin.release(subject, reason),
    "release-node": () => admin.releaseNode(subject, reason),
    "reset-breaker": () => admin.resetBreaker(reason),
    status: () => admin.status(),
    list: () => admin.list(),
  }[verb]();
  process.stdout.write(reply.text.endsWith("\n") ? reply.text : `${reply.text}\n`);
  if (!reply.ok) throw new Error(`${verb}: HTTP ${reply.status}`);
}

const CLIENT_VERBS = ["release", "release-node", "reset-breaker", "status", "list"] as const;
type ClientVerb = (typeof CLIENT_VERBS)[number];
const isClientVerb = (verb: string | undefined): verb is ClientVerb =>
  (CLIENT_VERBS as readonly (string | undefined)[]).includes(verb);

export async function runQuarantine(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  if (isClientVerb(verb)) return client(verb, rest);
  await runService("quarantine", argv, USAGE, parseServiceArgs, startQuarantine);
}
