import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  HELP_USAGE,
  LOG_USAGE,
  runService,
  SERVICE_FLAGS,
  wholeNumber as whole,
} from "../../../common/command.js";
import { parseDuration } from "../../../common/duration.js";
import { parseListenAddress } from "../../../common/listen.js";
import { parseOtlpEndpoint } from "../../../common/tracing.js";
import { WEB_FLAGS, WEB_USAGE, webFlags } from "../../../common/web/index.js";
import { parseCanaryFault } from "./canary.js";
import {
  defaultDaemonBinary,
  defaultHost,
  type ProverServiceOptions,
  startProverService,
} from "./index.js";
import { BITFLIPS } from "./schema.js";
import type { Fault } from "./types.js";

export const USAGE = `Usage: proofwatch prover --circuits DIR (--verifier URL | --no-verifier) [options]

Proves Groth16 jobs with the bundled prover, one worker per GPU (from NVML), and sends every
proof to the verifier. Jobs come in on POST /v1/jobs or as files in --spool.
See docs/prover-service.md.

Options:
  --listen HOST:PORT            address for the API and /metrics (default 0.0.0.0:9843)
  --circuits DIR                one folder per circuit: DIR/<circuit-id>/circuit.zkey (required)
  --spool DIR                   also take jobs written as DIR/<name>.json
  --out DIR                     where proofs are written, OUT/<job id>/ (default SPOOL/proofs;
                                required without --spool)
  --verifier URL                the verifier's base URL; every proof is posted to URL/v1/proofs
  --no-verifier                 send proofs nowhere (say so explicitly)
  --verifier-token-file FILE    send Authorization: Bearer <the file's content> with each proof;
                                the file is read again when it changes (token rotation)
  --verifier-ca FILE            trust this CA (PEM) for an https:// verifier, instead of the
                                system's
  --verifier-cert FILE          client certificate (PEM) for mutual TLS with the verifier;
  --verifier-key FILE           and its key (both or neither; re-read when they change)
  --witness-dir DIR             jobs may name a witnessFile inside DIR (relative to it, or an
                                absolute path inside it; no symbolic links, no '..'). Without
                                it, witnessFile jobs are refused: send the witness inline
  --host NAME                   this host's name for the verifier and the quarantine list
                                (default: the OS host name)
  --quarantine-file FILE        follow the quarantine service's list file
  --quarantine-url URL          or poll its GET /v1/quarantine (e.g. http://q:9842/v1/quarantine)
  --quarantine-interval DUR     how often the list is read (default 2s)
  --on-quarantine flag|cancel   the job in flight on a GPU that gets quarantined is finished and
                                flagged (default), or cancelled and moved to a healthy GPU
  --max-retries N               failed runs retried on another GPU before a job fails (default 2)
  --deadline DUR                default longest wait for a GPU before a job is reported (5m)
  --job-timeout DUR             longest one run (or zkey load) may take (default 10m)
  --backend auto|cpu|cuda       prover backend (default auto: CUDA where usable, else CPU)
  --threads N                   threads per daemon (default: cores / GPUs, at least 1)
  --max-warm N                  circuits kept loaded per GPU (default 4)
  --cpu-workers N               workers when NVML finds no GPU (default 1; 0 = refuse to start)
  --inject-fault UUID=KIND      make that GPU's proofs faulty: h-bitflip, a-bitflip, c-bitflip,
                                or stall:DURATION (repeatable; tests and demos only)
  --allow-fault-injection       enable POST /v1/admin/faults (on when --inject-fault is given)
  --canary-interval DUR         known-answer canary on each idle GPU this often (default 5m; 0:
                                only at start and before a GPU takes work after a quarantine).
                                A GPU takes work only once its canary passed; a run gives way
                                to waiting jobs (docs/prover-service.md)
  --canary-memory-share R       share of a GPU's free memory the canary's memory pass covers
                                (0 to 0.95, default 0.5)
  --canary-binary PATH          proofwatch-prover with the canary command (default: beside the
                                daemon; PROOFWATCH_PROVER)
  --canary-emulated             run the canary on the CPU grid emulator (tests and demos only)
  --canary-fault UUID=KIND      with --canary-emulated: flip a bit in that GPU's g1_msm, g2_msm,
                                ntt or memory check (repeatable; tests and demos only)
  --otlp-endpoint URL           export traces over OTLP/HTTP to URL/v1/traces (also
                                OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  --daemon PATH                 proofwatch-prover-daemon binary (default: the bundled build)
  --trust-zkey                  skip the on-curve check of zkey points at load
  --body-limit BYTES            largest request body and spool file (default 67108864)
  --rescan DURATION             how often the spool is rescanned besides fs.watch (default 2s)
  --keep-jobs N                 finished jobs kept in memory for /v1/jobs (default 10000)
  --verifier-backlog N          proofs held for a verifier that is down (default 10000)
${HELP_USAGE}
${LOG_USAGE}
${WEB_USAGE}
Environment:
  PROOFWATCH_NVML_LIBRARY       NVML library to load (fake-nvml for tests and the demo)
  PROOFWATCH_PROVER_DAEMON      daemon binary, as --daemon
  PROOFWATCH_LOG_LEVEL          as --log.level
  PROOFWATCH_LOG_FORMAT         as --log.format
`;

/** `UUID=h-bitflip` or `UUID=stall:2s`. */
export function parseFault(text: string): [string, Fault] {
  const at = text.lastIndexOf("=");
  const uuid = text.slice(0, at);
  const kind = text.slice(at + 1);
  if (at <= 0) throw new Error(`--inject-fault ${text}: want UUID=KIND`);
  if ((BITFLIPS as readonly string[]).includes(kind)) {
    return [uuid, { kind: kind as (typeof BITFLIPS)[number] }];
  }
  if (kind.startsWith("stall:"))
    return [uuid, { kind: "stall", stallMs: parseDuration(kind.slice(6)) }];
  throw new Error(
    `--inject-fault ${text}: KIND is h-bitflip, a-bitflip, c-bitflip or stall:DURATION`,
  );
}

function parseShare(text: string): number {
  const share = Number(text);
  if (text.trim() === "" || !(share >= 0 && share <= 0.95)) {
    throw new Error(`--canary-memory-share must be a number from 0 to 0.95, got "${text}"`);
  }
  return share;
}

const optionalPath = (value: string | undefined) => (value ? resolve(value) : null);

export function parseProverArgs(argv: string[]): ProverServiceOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      listen: { type: "string", default: "0.0.0.0:9843" },
      circuits: { type: "string" },
      spool: { type: "string" },
      out: { type: "string" },
      verifier: { type: "string" },
      "no-verifier": { type: "boolean", default: false },
      "verifier-token-file": { type: "string" },
      "verifier-ca": { type: "string" },
      "verifier-cert": { type: "string" },
      "verifier-key": { type: "string" },
      "witness-dir": { type: "string" },
      host: { type: "string" },
      "quarantine-file": { type: "string" },
      "quarantine-url": { type: "string" },
      "quarantine-interval": { type: "string", default: "2s" },
      "on-quarantine": { type: "string", default: "flag" },
      "max-retries": { type: "string" },
      deadline: { type: "string", default: "5m" },
      "job-timeout": { type: "string", default: "10m" },
      backend: { type: "string", default: "auto" },
      threads: { type: "string" },
      "max-warm": { type: "string" },
      "cpu-workers": { type: "string" },
      "inject-fault": { type: "string", multiple: true, default: [] },
      "allow-fault-injection": { type: "boolean", default: false },
      "canary-interval": { type: "string", default: "5m" },
      "canary-memory-share": { type: "string", default: "0.5" },
      "canary-binary": { type: "string" },
      "canary-emulated": { type: "boolean", default: false },
      "canary-fault": { type: "string", multiple: true, default: [] },
      "otlp-endpoint": { type: "string" },
      daemon: { type: "string" },
      "trust-zkey": { type: "boolean", default: false },
      "body-limit": { type: "string" },
      rescan: { type: "string", default: "2s" },
      "keep-jobs": { type: "string" },
      "verifier-backlog": { type: "string" },
      ...SERVICE_FLAGS,
      ...WEB_FLAGS,
    },
  });
  if (values.help) return "help";
  if (!values.circuits) throw new Error("--circuits is required");
  if (!values.verifier && !values["no-verifier"]) {
    throw new Error("--verifier URL is required (or --no-verifier to send proofs nowhere)");
  }
  if (values.verifier && values["no-verifier"]) {
    throw new Error("--verifier and --no-verifier exclude each other");
  }
  const credentialFlags = [
    "verifier-token-file",
    "verifier-ca",
    "verifier-cert",
    "verifier-key",
  ] as const;
  if (!values.verifier && credentialFlags.some((flag) => values[flag] !== undefined)) {
    throw new Error(`--${credentialFlags.join(", --")} need --verifier URL`);
  }
  if (Boolean(values["verifier-cert"]) !== Boolean(values["verifier-key"])) {
    throw new Error("--verifier-cert and --verifier-key go together");
  }
  if (values["quarantine-file"] && values["quarantine-url"]) {
    throw new Error("--quarantine-file and --quarantine-url exclude each other");
  }
  const onQuarantine = values["on-quarantine"];
  if (onQuarantine !== "flag" && onQuarantine !== "cancel") {
    throw new Error("--on-quarantine must be flag or cancel");
  }
  const backend = values.backend;
  if (backend !== "auto" && backend !== "cpu" && backend !== "cuda") {
    throw new Error("--backend must be auto, cpu or cuda");
  }
  const spoolDir = values.spool ? resolve(values.spool) : null;
  const outDir = values.out ? resolve(values.out) : spoolDir ? join(spoolDir, "proofs") : null;
  if (!outDir) throw new Error("--out is required without --spool");
  return {
    listen: parseListenAddress(values.listen as string),
    web: webFlags(values),
    circuitsDir: resolve(values.circuits),
    spoolDir,
    outDir,
    verifierUrl: values.verifier ?? null,
    verifierTokenFile: optionalPath(values["verifier-token-file"]),
    verifierCaFile: optionalPath(values["verifier-ca"]),
    verifierCertFile: optionalPath(values["verifier-cert"]),
    verifierKeyFile: optionalPath(values["verifier-key"]),
    witnessDir: optionalPath(values["witness-dir"]),
    host: values.host ?? defaultHost(),
    quarantineFile: values["quarantine-file"] ? resolve(values["quarantine-file"]) : null,
    quarantineUrl: values["quarantine-url"] ?? null,
    quarantineIntervalMs: parseDuration(values["quarantine-interval"] as string),
    onQuarantine,
    maxRetries: whole(values["max-retries"], "--max-retries", 2, 0),
    defaultDeadlineMs: parseDuration(values.deadline as string),
    jobTimeoutMs: parseDuration(values["job-timeout"] as string),
    backend,
    threads: values.threads === undefined ? null : whole(values.threads, "--threads", 1),
    maxWarm: whole(values["max-warm"], "--max-warm", 4),
    cpuWorkers: whole(values["cpu-workers"], "--cpu-workers", 1, 0),
    faults: new Map((values["inject-fault"] as string[]).map(parseFault)),
    allowFaultInjection: values["allow-fault-injection"] as boolean,
    otlpEndpoint:
      values["otlp-endpoint"] === undefined ? null : parseOtlpEndpoint(values["otlp-endpoint"]),
    daemonBinary: values.daemon ? resolve(values.daemon) : defaultDaemonBinary(),
    trustZkey: values["trust-zkey"] as boolean,
    bodyLimitBytes: whole(values["body-limit"], "--body-limit", 64 * 1024 * 1024, 1024),
    rescanMs: parseDuration(values.rescan as string),
    keepJobs: whole(values["keep-jobs"], "--keep-jobs", 10_000),
    verifierBacklog: whole(values["verifier-backlog"], "--verifier-backlog", 10_000),
    canary: {
      intervalMs: parseDuration(values["canary-interval"] as string),
      memoryShare: parseShare(values["canary-memory-share"] as string),
      binary: optionalPath(values["canary-binary"]),
      emulated: values["canary-emulated"] as boolean,
      faults: new Map((values["canary-fault"] as string[]).map(parseCanaryFault)),
    },
  };
}

export async function runProver(argv: string[]): Promise<void> {
  await runService("prover", argv, USAGE, parseProverArgs, startProverService);
}
