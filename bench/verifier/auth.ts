// What authentication costs the verifier service: end-to-end batched throughput of the real
// service (startVerifier, in this process) over real HTTP, without credentials and with each
// kind of credential, in one run, the configurations alternating round by round so that a
// machine that slows down mid-run slows every side. Not part of the test suite; see
// README.md, "Authentication cost".
//
//   npx tsx bench/verifier/auth.ts [--circuit multi_io] [--proofs 2000] [--rounds 3]
import { type ChildProcess, fork } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from "node:tls";
import { parseArgs } from "node:util";
import bcrypt from "bcryptjs";
import { createLogger, setLogLevel } from "../../common/log.js";
import { DEFAULT_WEB_FLAGS, INSECURE_WEB_FLAGS, WebSecurity } from "../../common/web/index.js";
import { makePki, type Pki } from "../../test/helpers/pki.js";
import { makeTempDir } from "../../test/helpers/tmpdir.js";
import { type CircuitName, circuitNames, ensureCircuit } from "../../test/prover/fixtures.js";
import { fixtureProof, rerandomized } from "../../test/verifier/helpers.js";
import { nativeVerifierAvailable } from "../../verifier/native.js";
import { parseVerifierArgs } from "../../verifier/src/cli.js";
import { type RunningVerifier, startVerifier } from "../../verifier/src/index.js";
import type {
  ClientIdentity,
  ClientMessage,
  ParentMessage,
  SubmittedReport,
} from "./auth-client.js";

const TARGET_RATIO = 0.95;
const CONFIGS = ["insecure", "bearer", "basic", "mtls", "tls"] as const;
type ConfigName = (typeof CONFIGS)[number];
const GPUS_PER_HOST = 4;
/** How each configuration's identities prove themselves (the verdicts' submittedBy). */
const METHOD: Record<ConfigName, string> = {
  insecure: "insecure",
  bearer: "bearer",
  basic: "basic",
  mtls: "certificate",
  tls: "bearer",
};

const usage = `usage: npx tsx bench/verifier/auth.ts [options]
  --circuit NAME      ${circuitNames.join(" | ")} (default multi_io: 6 public signals)
  --proofs N          distinct valid proofs per measurement (default 2000)
  --rounds N          measurements per configuration, alternating; medians reported (default 5)
  --concurrency N     requests in flight, spread over the prover hosts (default 32)
  --hosts N           prover identities, ${GPUS_PER_HOST} GPUs each (default 8)
  --configs LIST      comma-separated, from ${CONFIGS.join(",")} (default all)
  --workers N         verifier --workers (default: the service's, one per core)
  --batch-max N       verifier --batch-max (default: the service's, 64)
  --db-dir DIR        where each measurement's SQLite database goes (default: the OS temp
                      folder); the service commits every submission with fsync
  --json FILE         also write every measurement and the summary as JSON`;

function fail(message: string): never {
  console.error(`bench/verifier/auth: ${message}\n${usage}`);
  process.exit(2);
}

function options() {
  const { values } = parseArgs({
    options: {
      circuit: { type: "string", default: "multi_io" },
      proofs: { type: "string", default: "2000" },
      rounds: { type: "string", default: "5" },
      concurrency: { type: "string", default: "32" },
      hosts: { type: "string", default: "8" },
      configs: { type: "string", default: CONFIGS.join(",") },
      workers: { type: "string" },
      "batch-max": { type: "string" },
      "db-dir": { type: "string", default: tmpdir() },
      json: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const circuit = values.circuit as CircuitName;
  if (!circuitNames.includes(circuit)) fail(`unknown circuit ${values.circuit}`);
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) fail(`--${name} wants an integer >= ${min}, got ${v}`);
    return n;
  };
  const configs = values.configs.split(",").map((c) => c.trim()) as ConfigName[];
  for (const c of configs) if (!CONFIGS.includes(c)) fail(`unknown configuration ${c}`);
  if (!configs.includes("insecure")) fail("--configs must include insecure (the baseline)");
  const hosts = int("hosts", values.hosts, 1);
  const concurrency = int("concurrency", values.concurrency, 1);
  if (concurrency < hosts) fail("--concurrency must be at least --hosts (one slot per host)");
  return {
    circuit,
    proofs: int("proofs", values.proofs, 1),
    rounds: int("rounds", values.rounds, 1),
    concurrency,
    hosts,
    configs,
    workers: values.workers === undefined ? undefined : int("workers", values.workers, 1),
    batchMax:
      values["batch-max"] === undefined ? undefined : int("batch-max", values["batch-max"], 1),
    dbDir: values["db-dir"],
    json: values.json,
  };
}
type Options = ReturnType<typeof options>;

// --- the fleet and its credentials -------------------------------------------------------

interface Host {
  name: string;
  gpus: Array<{ uuid: string; host: string }>;
  token: string;
  password: string;
}

function fleet(count: number): Host[] {
  return Array.from({ length: count }, (_, h) => {
    const name = `gpu-node-${String(h + 1).padStart(2, "0")}`;
    return {
      name,
      gpus: Array.from({ length: GPUS_PER_HOST }, (_, g) => ({
        uuid: `GPU-${String(h).padStart(8, "0")}-0000-4000-8000-${String(g).padStart(12, "0")}`,
        host: name,
      })),
      token: randomBytes(32).toString("base64url"),
      password: randomBytes(18).toString("base64url"),
    };
  });
}

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

interface Setup {
  /** Verifier flags for this configuration (besides --circuits, --db, --listen). */
  flags: string[];
  identities: ClientIdentity[];
  ca?: string;
}

const yamlMap = (entries: Array<[string, string]>) =>
  entries.map(([k, v]) => `  ${k}: "${v}"`).join("\n");

async function bearerSetup(dir: string, hosts: Host[]): Promise<Setup> {
  const file = join(dir, "web-bearer.yml");
  const entries = hosts.map((h): [string, string] => [h.name, `sha256:${sha256Hex(h.token)}`]);
  await writeFile(file, `bearer_tokens:\n${yamlMap(entries)}\n`);
  return {
    flags: ["--web.config.file", file],
    identities: hosts.map((h) => ({
      name: h.name,
      authorization: `Bearer ${h.token}`,
      gpus: h.gpus,
    })),
  };
}

/**
 * `--provers FILE` (docs/verifier.md, "Attribution"): each identity may speak for its own
 * host and that host's GPUs, listed, so every submission goes through the whole check.
 */
async function proversFile(dir: string, hosts: Host[]): Promise<string> {
  const file = join(dir, "provers.yml");
  const lines = ["provers:"];
  for (const h of hosts) {
    lines.push(`  - identity: ${h.name}`, `    hosts: [${h.name}]`);
    lines.push(`    gpus: [${h.gpus.map((g) => g.uuid).join(", ")}]`);
  }
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
}

/** Writes every configuration's web config (and the provers file) under `dir`. */
async function setups(dir: string, hosts: Host[], configs: ConfigName[]) {
  const out = new Map<ConfigName, Setup>();
  out.set("insecure", {
    flags: ["--insecure-no-auth"],
    identities: hosts.map((h) => ({ name: h.name, gpus: h.gpus })),
  });
  if (configs.includes("bearer")) out.set("bearer", await bearerSetup(dir, hosts));
  if (configs.includes("basic")) {
    const file = join(dir, "web-basic.yml");
    const entries: Array<[string, string]> = [];
    // bcrypt cost 10, as `htpasswd -nBC 10` makes them (docs/security.md).
    for (const h of hosts) entries.push([h.name, await bcrypt.hash(h.password, 10)]);
    await writeFile(file, `basic_auth_users:\n${yamlMap(entries)}\n`);
    out.set("basic", {
      flags: ["--web.config.file", file],
      identities: hosts.map((h) => ({
        name: h.name,
        authorization: `Basic ${Buffer.from(`${h.name}:${h.password}`).toString("base64")}`,
        gpus: h.gpus,
      })),
    });
  }
  if (configs.includes("mtls") || configs.includes("tls")) {
    const pkiDir = join(dir, "pki");
    await mkdir(pkiDir);
    // Certificates made per run by openssl (test/helpers/pki.ts): CN = the host's name.
    const pki: Pki = makePki(
      pkiDir,
      hosts.map((h) => h.name),
    );
    const ca = await readFile(pki.ca, "utf8");
    const serverTls = [
      "tls_server_config:",
      `  cert_file: ${pki.server.cert}`,
      `  key_file: ${pki.server.key}`,
    ];
    if (configs.includes("mtls")) {
      const file = join(dir, "web-mtls.yml");
      await writeFile(
        file,
        [
          ...serverTls,
          `  client_ca_file: ${pki.ca}`,
          "  client_auth_type: RequireAndVerifyClientCert",
          "",
        ].join("\n"),
      );
      const identities: ClientIdentity[] = [];
      for (const h of hosts) {
        const pair = pki.clients[h.name];
        if (!pair) throw new Error(`no certificate for ${h.name}`);
        identities.push({
          name: h.name,
          cert: await readFile(pair.cert, "utf8"),
          key: await readFile(pair.key, "utf8"),
          gpus: h.gpus,
        });
      }
      out.set("mtls", { flags: ["--web.config.file", file], identities, ca });
    }
    if (configs.includes("tls")) {
      // HTTPS without client certificates, the bearer tokens of (b): what TLS alone costs.
      const file = join(dir, "web-tls.yml");
      const bearer = out.get("bearer") ?? (await bearerSetup(dir, hosts));
      const tokens = await readFile(bearer.flags[1] as string, "utf8"); // its web config
      await writeFile(file, `${serverTls.join("\n")}\n${tokens}`);
      out.set("tls", { flags: ["--web.config.file", file], identities: bearer.identities, ca });
    }
  }
  // Every authenticated configuration binds its identities to their hosts and GPUs.
  const provers = await proversFile(dir, hosts);
  for (const [config, setup] of out) {
    if (config !== "insecure") setup.flags.push("--provers", provers);
  }
  return out;
}

// --- one measurement -------------------------------------------------------------------

interface Measurement {
  config: ConfigName;
  round: number;
  proofsPerSecond: number;
  /** Verifier process CPU (main thread and workers) per proof, ms. */
  cpuMsPerProof: number;
  /** The load generator's CPU per proof, ms (a process of its own). */
  clientCpuMsPerProof: number;
  /** Time in the native check per proof, summed over the workers, ms (the service's own). */
  verifyMsPerProof: number;
  /** Share of the wall time the main thread (HTTP, auth, JSON, SQLite) was busy. */
  mainThreadBusy: number;
  /** Share of the wall time the workers spent in checks: sum(verifyMs) / (wall x workers). */
  workersBusy: number;
  meanBatch: number;
  latencyMs: { p50: number; p99: number };
  warmupMs: number;
  seconds: number;
  load1: number;
}

class Client {
  private readonly child: ChildProcess;
  private readonly waiting: Array<(m: ClientMessage) => void> = [];

  constructor() {
    // Inherits tsx's loader from this process's execArgv.
    this.child = fork(new URL("./auth-client.ts", import.meta.url).pathname);
    this.child.on("message", (message: ClientMessage) => this.waiting.shift()?.(message));
    // A client that dies answers every call still waiting with an error, not silence.
    this.child.on("exit", (code, signal) => {
      const error = `exited (${signal ?? code})`;
      for (const resolve of this.waiting.splice(0)) resolve({ type: "error", error });
    });
  }

  async call<T extends ClientMessage["type"]>(
    message: ParentMessage,
    want: T,
  ): Promise<Extract<ClientMessage, { type: T }>> {
    const reply = new Promise<ClientMessage>((resolve) => this.waiting.push(resolve));
    this.child.send(message);
    const got = await reply;
    if (got.type === "error") throw new Error(`client: ${got.error}`);
    if (got.type !== want) throw new Error(`client answered ${got.type}, not ${want}`);
    return got as Extract<ClientMessage, { type: T }>;
  }

  close(): void {
    this.child.disconnect();
  }
}

async function measure(
  opt: Options,
  config: ConfigName,
  round: number,
  setup: Setup,
  circuitsDir: string,
  proofsFile: string,
  client: Client,
): Promise<Measurement> {
  const dbDir = await mkdtemp(join(opt.dbDir, "proofwatch-bench-auth-"));
  const args = [
    "--listen",
    "127.0.0.1:0",
    "--circuits",
    circuitsDir,
    "--db",
    join(dbDir, "verifier.db"),
    ...(opt.workers === undefined ? [] : ["--workers", String(opt.workers)]),
    ...(opt.batchMax === undefined ? [] : ["--batch-max", String(opt.batchMax)]),
    ...setup.flags,
  ];
  const parsed = parseVerifierArgs(args);
  if (parsed === "help") throw new Error("unexpected help");
  let verifier: RunningVerifier | undefined;
  try {
    verifier = await startVerifier(parsed);
    const ready = await client.call(
      {
        type: "prepare",
        url: verifier.url,
        ...(setup.ca ? { ca: setup.ca } : {}),
        identities: setup.identities,
        concurrency: opt.concurrency,
        proofsFile,
        circuit: opt.circuit,
        runTag: `${config}-${round}`,
      },
      "ready",
    );
    const load1 = loadavg()[0] ?? 0;
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const submitted: SubmittedReport = await client.call({ type: "go" }, "submitted");
    if (Object.keys(submitted.refused).length > 0) {
      throw new Error(
        `${config}: replies other than 202: ${JSON.stringify(submitted.refused)}: ${submitted.firstRefusal}`,
      );
    }
    await verifier.service.idle();
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);

    // Every verdict, from the store: all checked, all valid; the last one's time ends the run.
    const verdicts = verifier.service.store.verdicts({
      afterId: 0,
      limit: opt.proofs + 1,
      full: false,
    });
    // ... and each recorded as sent by the identity of the GPU's own host: the binding ran.
    const bad = verdicts.filter(
      (v) =>
        v.status !== "checked" ||
        v.result !== "valid" ||
        v.submittedBy !==
          (config === "insecure" ? "insecure:anonymous" : `${METHOD[config]}:${v.host}`),
    );
    if (verdicts.length !== opt.proofs || bad.length > 0) {
      throw new Error(
        `${config}: ${verdicts.length} verdicts for ${opt.proofs} proofs, ${bad.length} not checked valid from their host's identity (${JSON.stringify(bad[0])})`,
      );
    }
    const lastVerdictAt = Math.max(...verdicts.map((v) => Date.parse(v.checkedAt ?? "")));
    const seconds = (lastVerdictAt - submitted.firstSentAt) / 1000;
    const verifyMs = verdicts.reduce((sum, v) => sum + (v.verifyMs ?? 0), 0);
    const workers = parsed.workers;
    return {
      config,
      round,
      proofsPerSecond: opt.proofs / seconds,
      cpuMsPerProof: (cpu.user + cpu.system) / 1000 / opt.proofs,
      clientCpuMsPerProof: submitted.cpuMs / opt.proofs,
      verifyMsPerProof: verifyMs / opt.proofs,
      mainThreadBusy: elu.utilization,
      workersBusy: verifyMs / (seconds * 1000 * workers),
      meanBatch: verdicts.reduce((sum, v) => sum + (v.batchSize ?? 0), 0) / verdicts.length,
      latencyMs: submitted.latencyMs,
      warmupMs: ready.warmupMs,
      seconds,
      load1,
    };
  } finally {
    await client.call({ type: "close" }, "closed");
    await verifier?.close();
    await rm(dbDir, { recursive: true, force: true });
  }
}

// --- the web layer alone ----------------------------------------------------------------

/**
 * The web-security middleware's own time per request, without HTTP: what a POST pays before
 * the route runs (response headers, rate limit, the credential check from its cache, for
 * mTLS the certificate identity from a real TLS connection's socket). The credential is
 * checked once before timing, as the warm-up does for the service.
 */
async function middlewareMicros(setup: Setup): Promise<number> {
  const flags = setup.flags;
  const security = new WebSecurity({
    service: "bench",
    ...(flags.includes("--insecure-no-auth")
      ? INSECURE_WEB_FLAGS
      : { ...DEFAULT_WEB_FLAGS, configFile: flags[flags.indexOf("--web.config.file") + 1] }),
    log: createLogger("bench"),
  });
  const identity = setup.identities[0];
  const tls = identity?.cert ? await tlsPair(setup, identity) : undefined;
  const req = {
    method: "POST",
    path: "/v1/proofs",
    headers: identity?.authorization ? { authorization: identity.authorization } : {},
    socket: tls?.serverSide ?? {},
  };
  const call = () =>
    new Promise<void>((resolve, reject) => {
      const res = {
        locals: {} as Record<string, unknown>,
        setHeader() {},
        req,
        status() {
          reject(new Error("middleware refused the request"));
          return { json() {} };
        },
      };
      security.middleware(req as never, res as never, (error?: unknown) =>
        error ? reject(error) : res.locals.identity ? resolve() : reject(new Error("no identity")),
      );
    });
  try {
    const n = 20_000;
    for (let i = 0; i < n; i++) await call(); // warm: JIT, and the credential cache
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await call();
    return ((performance.now() - t0) * 1000) / n;
  } finally {
    security.close();
    tls?.close();
  }
}

/** A TLS connection from `identity` to a server with the service's certificate: both ends. */
async function tlsPair(setup: Setup, identity: ClientIdentity) {
  const configFile = setup.flags[setup.flags.indexOf("--web.config.file") + 1] as string;
  const text = await readFile(configFile, "utf8");
  const file = (key: string) => {
    const path = new RegExp(`${key}: (.*)`).exec(text)?.[1];
    if (!path) throw new Error(`${configFile}: no ${key}`);
    return readFile(path);
  };
  const server = createTlsServer({
    cert: await file("cert_file"),
    key: await file("key_file"),
    ca: await file("client_ca_file"),
    requestCert: true,
    rejectUnauthorized: false,
  });
  const accepted = new Promise<TLSSocket>((resolve) => server.once("secureConnection", resolve));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = connectTls({
    host: "127.0.0.1",
    port: (server.address() as AddressInfo).port,
    ca: setup.ca,
    cert: identity.cert,
    key: identity.key,
  });
  const serverSide = await accepted;
  return {
    serverSide,
    close() {
      client.destroy();
      serverSide.destroy();
      server.close();
    },
  };
}

// --- report ----------------------------------------------------------------------------

const medianOf = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

type Summary = Record<
  ConfigName,
  {
    proofsPerSecond: number;
    cpuMsPerProof: number;
    clientCpuMsPerProof: number;
    verifyMsPerProof: number;
    mainThreadBusy: number;
    workersBusy: number;
    meanBatch: number;
    p50Ms: number;
    p99Ms: number;
    warmupMs: number;
    wallRatio: number;
    cpuRatio: number;
    /** Median over rounds of each round's ratio to that round's insecure measurement. */
    pairedWallRatio: number;
    pairedCpuRatio: number;
    /** The web-security middleware alone, µs per request. */
    middlewareUs: number | undefined;
  }
>;

function summarise(
  all: Measurement[],
  configs: ConfigName[],
  micros: ReadonlyMap<ConfigName, number>,
): Summary {
  const summary = {} as Summary;
  const med = (config: ConfigName, f: (m: Measurement) => number) =>
    medianOf(all.filter((m) => m.config === config).map(f));
  const base = {
    wall: med("insecure", (m) => m.proofsPerSecond),
    cpu: med("insecure", (m) => m.cpuMsPerProof),
  };
  const paired = (config: ConfigName, f: (m: Measurement, insecure: Measurement) => number) =>
    medianOf(
      all
        .filter((m) => m.config === config)
        .map((m) => {
          const b = all.find((x) => x.config === "insecure" && x.round === m.round);
          if (!b) throw new Error(`no insecure measurement in round ${m.round}`);
          return f(m, b);
        }),
    );
  for (const config of configs) {
    const wall = med(config, (m) => m.proofsPerSecond);
    const cpu = med(config, (m) => m.cpuMsPerProof);
    summary[config] = {
      proofsPerSecond: wall,
      cpuMsPerProof: cpu,
      clientCpuMsPerProof: med(config, (m) => m.clientCpuMsPerProof),
      verifyMsPerProof: med(config, (m) => m.verifyMsPerProof),
      mainThreadBusy: med(config, (m) => m.mainThreadBusy),
      workersBusy: med(config, (m) => m.workersBusy),
      meanBatch: med(config, (m) => m.meanBatch),
      p50Ms: med(config, (m) => m.latencyMs.p50),
      p99Ms: med(config, (m) => m.latencyMs.p99),
      warmupMs: med(config, (m) => m.warmupMs),
      // Throughput ratio, and CPU per proof the other way round: both >= 0.95 is "under 5%".
      wallRatio: wall / base.wall,
      cpuRatio: base.cpu / cpu,
      pairedWallRatio: paired(config, (m, b) => m.proofsPerSecond / b.proofsPerSecond),
      pairedCpuRatio: paired(config, (m, b) => b.cpuMsPerProof / m.cpuMsPerProof),
      middlewareUs: micros.get(config),
    };
  }
  return summary;
}

const LABELS: Record<ConfigName, string> = {
  insecure: "(a) insecure, no credentials",
  bearer: "(b) bearer token (sha256)",
  basic: "(c) basic auth (bcrypt 10)",
  mtls: "(d) mTLS, client certificates",
  tls: "(e) HTTPS + bearer, no client cert",
};

function printMeasurement(m: Measurement): void {
  console.log(
    [
      `round ${m.round + 1}`,
      m.config.padEnd(8),
      `${m.proofsPerSecond.toFixed(0).padStart(5)} proofs/s`,
      `${m.seconds.toFixed(2)} s`,
      `cpu ${m.cpuMsPerProof.toFixed(3)} ms/proof`,
      `client ${m.clientCpuMsPerProof.toFixed(3)}`,
      `main thread ${(m.mainThreadBusy * 100).toFixed(0)}%`,
      `workers ${(m.workersBusy * 100).toFixed(0)}%`,
      `batch ${m.meanBatch.toFixed(1)}`,
      `p50/p99 ${m.latencyMs.p50.toFixed(1)}/${m.latencyMs.p99.toFixed(1)} ms`,
      `warm-up ${m.warmupMs.toFixed(0)} ms`,
      `load ${m.load1.toFixed(2)}`,
    ].join("  "),
  );
}

function printSummary(summary: Summary, configs: ConfigName[]): void {
  const met = (r: number) => (r >= TARGET_RATIO ? "met" : "MISSED");
  console.log(`\nmedians; ratio = configuration / insecure, target >= ${TARGET_RATIO}:`);
  for (const config of configs) {
    const s = summary[config];
    const ratios =
      config === "insecure"
        ? ""
        : `  wall ${s.wallRatio.toFixed(3)} ${met(s.wallRatio)}  cpu ${s.cpuRatio.toFixed(3)} ${met(s.cpuRatio)}` +
          `  (per round: wall ${s.pairedWallRatio.toFixed(3)}, cpu ${s.pairedCpuRatio.toFixed(3)})`;
    console.log(
      [
        LABELS[config].padEnd(36),
        `${s.proofsPerSecond.toFixed(0).padStart(5)} proofs/s`,
        `cpu ${s.cpuMsPerProof.toFixed(3)} ms/proof`,
        `(verify ${s.verifyMsPerProof.toFixed(3)}, client ${s.clientCpuMsPerProof.toFixed(3)})`,
        `main ${(s.mainThreadBusy * 100).toFixed(0)}%`,
        `workers ${(s.workersBusy * 100).toFixed(0)}%`,
        `middleware ${s.middlewareUs === undefined ? "  n/a" : `${s.middlewareUs.toFixed(1).padStart(5)} µs`}`,
      ].join("  ") + ratios,
    );
  }
}

// --- main ------------------------------------------------------------------------------

async function main() {
  const opt = options();
  if (!nativeVerifierAvailable()) fail("native verifier not built: run `npm run build`");
  // The service's info lines (listening, the insecure warning) once per measurement are noise.
  if (!process.env.PROOFWATCH_LOG_LEVEL) setLogLevel("error");

  const tmp = await makeTempDir("bench-auth-setup");
  const client = new Client();
  try {
    const fixture = await ensureCircuit(opt.circuit);
    const base = await fixtureProof(opt.circuit);
    const t0 = performance.now();
    const pairs = [base, ...(await rerandomized(base, fixture.vkey, opt.proofs - 1))];
    const proofsFile = join(tmp.dir, "proofs.json");
    await writeFile(
      proofsFile,
      JSON.stringify(pairs.map((p) => ({ proof: p.proof, publicSignals: p.publicSignals }))),
    );
    const circuitsDir = join(tmp.dir, "circuits");
    await mkdir(join(circuitsDir, opt.circuit), { recursive: true });
    await writeFile(
      join(circuitsDir, opt.circuit, "verification_key.json"),
      await readFile(fixture.vkey),
    );
    const hosts = fleet(opt.hosts);
    const configs = await setups(tmp.dir, hosts, opt.configs);
    const defaults = parseVerifierArgs(["--circuits", circuitsDir, "--db", "x"]);
    if (defaults === "help") throw new Error("unexpected help");
    console.log(
      `bench/verifier/auth: circuit ${opt.circuit}, ${opt.proofs} distinct proofs per measurement (made in ${((performance.now() - t0) / 1000).toFixed(1)} s), ` +
        `${opt.hosts} prover hosts x ${GPUS_PER_HOST} GPUs, ${opt.concurrency} in flight, ` +
        `workers ${opt.workers ?? defaults.workers}, batch-max ${opt.batchMax ?? defaults.batchMax}, ` +
        `${cpus().length} CPUs, load ${loadavg()
          .map((l) => l.toFixed(2))
          .join(" ")}`,
    );

    // One measurement first, not counted: JIT and caches warm in this process and the client.
    const warm = configs.get("insecure") as Setup;
    await measure(opt, "insecure", -1, warm, circuitsDir, proofsFile, client);

    const all: Measurement[] = [];
    for (let round = 0; round < opt.rounds; round++) {
      for (const config of opt.configs) {
        const m = await measure(
          opt,
          config,
          round,
          configs.get(config) as Setup,
          circuitsDir,
          proofsFile,
          client,
        );
        printMeasurement(m);
        all.push(m);
      }
    }
    // The web layer alone, per request.
    const micros = new Map<ConfigName, number>();
    for (const config of opt.configs) {
      const setup = configs.get(config) as Setup;
      micros.set(config, await middlewareMicros(setup));
    }
    const summary = summarise(all, opt.configs, micros);
    printSummary(summary, opt.configs);
    console.log(
      `load at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    if (opt.json) {
      await writeFile(
        opt.json,
        `${JSON.stringify({ options: opt, load: loadavg(), summary, measurements: all }, null, 2)}\n`,
      );
    }
  } finally {
    client.close();
    await tmp.cleanup();
  }
}

await main();
