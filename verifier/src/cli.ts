import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import {
  HELP_USAGE,
  LOG_USAGE,
  ratio,
  runService,
  SERVICE_FLAGS,
  wholeNumber as whole,
} from "../../common/command.js";
import { parseDuration } from "../../common/duration.js";
import { parseListenAddress } from "../../common/listen.js";
import { parseOtlpEndpoint } from "../../common/tracing.js";
import { WEB_FLAGS, WEB_USAGE, webFlags } from "../../common/web/index.js";
import { CIRCUIT_ID } from "../../contracts/index.js";
import { startVerifier, type VerifierOptions } from "./index.js";

export const USAGE = `Usage: proofwatch verifier --circuits DIR --db FILE [options]

Re-checks Groth16 proofs (snarkjs format, BN254) before they reach a chain and records which
GPU made each bad one. Proofs come in on POST /v1/proofs or as folders in --spool.
See docs/verifier.md.

Options:
  --listen HOST:PORT        address to serve the API and /metrics on (default 0.0.0.0:9841)
  --circuits DIR            one folder per circuit: DIR/<circuit-id>/verification_key.json
                            (required; watched, and rescanned on SIGHUP)
  --db FILE                 SQLite database (WAL) for submissions and verdicts (required)
  --spool DIR               also take proofs written as folders of proof.json, public.json
                            and meta.json into DIR
  --spool-host HOST         the host whose provers write into --spool: a meta.json naming
                            another host is refused (required with --spool, unless
                            --insecure-no-auth)
  --provers FILE            YAML: which hosts, and optionally GPUs, each prover identity may
                            submit proofs for; without it authenticated writes are refused
                            (re-read on SIGHUP)
  --sample-rate RATIO       share of proofs checked, 0..1 (default 1)
  --circuit-rate ID=RATIO   a circuit's own rate (repeatable; wins over its verifier.json)
  --recover-after N         valid proofs in a row that end a GPU's probation (default 20)
  --workers N               verification threads (default: one per core)
  --batch-max N             most proofs in one batch check (default 64)
  --queue-size N            proofs waiting before submissions get 429 (default 10000)
  --batch-timeout DURATION  longest one batch may take before its worker is replaced
                            (default 30s)
  --body-limit BYTES        largest request body, and spool file (default 1048576)
  --rescan DURATION         how often folders are rescanned besides fs.watch (default 5s)
  --otlp-endpoint URL       export traces over OTLP/HTTP to URL/v1/traces (also
                            OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
${HELP_USAGE}
${LOG_USAGE}
${WEB_USAGE}
Environment:
  PROOFWATCH_LOG_LEVEL      as --log.level
  PROOFWATCH_LOG_FORMAT     as --log.format
`;

export function parseVerifierArgs(argv: string[]): VerifierOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      listen: { type: "string", default: "0.0.0.0:9841" },
      circuits: { type: "string" },
      db: { type: "string" },
      spool: { type: "string" },
      "spool-host": { type: "string" },
      provers: { type: "string" },
      "sample-rate": { type: "string", default: "1" },
      "circuit-rate": { type: "string", multiple: true, default: [] },
      "recover-after": { type: "string" },
      workers: { type: "string" },
      "batch-max": { type: "string" },
      "queue-size": { type: "string" },
      "batch-timeout": { type: "string", default: "30s" },
      "body-limit": { type: "string" },
      rescan: { type: "string", default: "5s" },
      "otlp-endpoint": { type: "string" },
      ...SERVICE_FLAGS,
      ...WEB_FLAGS,
    },
  });
  if (values.help) return "help";
  if (!values.circuits) throw new Error("--circuits is required");
  if (!values.db) throw new Error("--db is required");
  if (values["spool-host"] !== undefined && !values.spool) {
    throw new Error("--spool-host is for --spool: give both");
  }
  if (values["spool-host"] !== undefined && !/^[\x21-\x7e]{1,253}$/.test(values["spool-host"])) {
    throw new Error(`--spool-host ${values["spool-host"]}: a host name, printable ASCII`);
  }
  const circuitRates = new Map<string, number>();
  for (const item of values["circuit-rate"] as string[]) {
    const [id, rate] = item.split("=");
    if (!id || rate === undefined || !CIRCUIT_ID.test(id)) {
      throw new Error(`--circuit-rate ${item}: want ID=RATIO`);
    }
    circuitRates.set(id, ratio(rate, `--circuit-rate ${id}`));
  }
  return {
    listen: parseListenAddress(values.listen as string),
    web: webFlags(values),
    circuitsDir: values.circuits,
    db: values.db,
    spoolDir: values.spool ?? null,
    spoolHost: values["spool-host"] ?? null,
    proversFile: values.provers ?? null,
    workers: whole(values.workers, "--workers", availableParallelism()),
    batchMax: whole(values["batch-max"], "--batch-max", 64),
    queueSize: whole(values["queue-size"], "--queue-size", 10_000),
    batchTimeoutMs: parseDuration(values["batch-timeout"] as string),
    baseRate: ratio(values["sample-rate"] as string, "--sample-rate"),
    circuitRates,
    recoverAfter: whole(values["recover-after"], "--recover-after", 20),
    bodyLimitBytes: whole(values["body-limit"], "--body-limit", 1024 * 1024, 1024),
    rescanMs: parseDuration(values.rescan as string),
    otlpEndpoint:
      values["otlp-endpoint"] === undefined ? null : parseOtlpEndpoint(values["otlp-endpoint"]),
  };
}

export async function runVerifier(argv: string[]): Promise<void> {
  const verifier = await runService("verifier", argv, USAGE, parseVerifierArgs, startVerifier);
  if (verifier) process.on("SIGHUP", () => void verifier.rescan());
}
