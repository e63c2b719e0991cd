/**
 * Groth16 fixtures for the prover tests: each circuit in `test/circuits/` compiled with
 * circom2, its witness computed and a Groth16 key set up with snarkjs, all cached under
 * `.cache/circuits/<name>/` and keyed by a hash of everything that goes into them.
 *
 * circom and snarkjs always run in child processes: snarkjs keeps worker threads alive,
 * which would keep a vitest worker from exiting.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { readR1csHeader } from "../helpers/binfile.js";
import { type ExecResult, exec, execOrThrow } from "../helpers/exec.js";
import { withLock } from "../helpers/lock.js";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const circuitsSourceDir = join(repoRoot, "test/circuits");
export const circuitsCacheDir = join(repoRoot, ".cache/circuits");
export const ptauCacheDir = join(repoRoot, ".cache/ptau");

/** The prover under test; PROOFWATCH_PROVER points the tests at another build. */
export const proverPath =
  process.env.PROOFWATCH_PROVER ?? join(repoRoot, "prover/build/proofwatch-prover");
export const testkitPath =
  process.env.PROOFWATCH_PROVER_TESTKIT ?? join(repoRoot, "prover/build/prover-testkit");
export const benchCircuitPath =
  process.env.PROOFWATCH_BENCH_CIRCUIT ?? join(repoRoot, "prover/build/prover-bench-circuit");

const snarkjsCli = join(repoRoot, "node_modules/snarkjs/cli.js");
const circomCli = join(repoRoot, "node_modules/circom2/cli.js");

/**
 * 2^12 covers every test circuit (the largest fills a 2^12 domain) and takes about two
 * minutes to make on two cores; 2^16 would take over twenty, which is why the benchmark
 * uses the prover's own insecure `dev-setup` instead.
 */
export const PTAU_POWER = 12;

/** Bump to rebuild every cached fixture after a change to how they are made. */
const FIXTURE_FORMAT = 1;

export const circuitNames = ["multiplier", "multi_io", "mimc_4k"] as const;
export type CircuitName = (typeof circuitNames)[number];

export interface CircuitFixture {
  name: CircuitName;
  /** The cache folder holding every file below. */
  dir: string;
  r1cs: string;
  wasm: string;
  /** Groth16 proving key from snarkjs setup plus one contribution (delta is not 1). */
  zkey: string;
  wtns: string;
  /** Verification key JSON exported from `zkey`. */
  vkey: string;
  /** Input JSON the witness was computed from. */
  input: string;
  /** snarkjs' own proof and public signals for this zkey and witness. */
  snarkjsProof: string;
  snarkjsPublic: string;
  /** Public signals as snarkjs writes them: outputs, then public inputs, decimal. */
  publicSignals: string[];
  nConstraints: number;
  nPublic: number;
}

const decimal = z.string().regex(/^[0-9]+$/);

/** `fixture.json`: written last, so a readable one with the right key means complete. */
const Manifest = z.object({
  key: z.string(),
  publicSignals: z.array(decimal),
  nConstraints: z.number().int().nonnegative(),
  nPublic: z.number().int().nonnegative(),
});
type Manifest = z.infer<typeof Manifest>;

export async function snarkjs(args: readonly string[], cwd?: string): Promise<ExecResult> {
  return execOrThrow(process.execPath, [snarkjsCli, ...args], cwd === undefined ? {} : { cwd });
}

/**
 * Everything is built under a temporary name and renamed into place, so readers in other
 * processes never see half a file.
 */
function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
}

export function ptauPath(power = PTAU_POWER): string {
  return join(ptauCacheDir, `pot${power}_final.ptau`);
}

/**
 * The 2^12 file made by the commands below, shipped with the tests: making it takes snarkjs
 * 1.5 minutes of both of CI's cores.
 */
const shippedPtau = (power: number) =>
  join(repoRoot, "test/fixtures/ptau", `pot${power}_final.ptau`);

/**
 * The shared powers-of-tau file, made once (new, one contribution, phase 2 prepared), or
 * the shipped copy of it.
 */
export async function ensurePtau(power = PTAU_POWER): Promise<string> {
  const final = ptauPath(power);
  if (existsSync(final)) return final;
  await mkdir(ptauCacheDir, { recursive: true });
  await withLock(`${final}.lock`, async () => {
    if (existsSync(final)) return;
    const work = tempName(final);
    await mkdir(work);
    try {
      if (existsSync(shippedPtau(power))) {
        await copyFile(shippedPtau(power), join(work, "final.ptau"));
        await rename(join(work, "final.ptau"), final);
        return;
      }
      // The entropy is fixed text: these are test parameters and need no secrecy.
      await snarkjs(["powersoftau", "new", "bn128", String(power), "p0.ptau"], work);
      await snarkjs(
        ["powersoftau", "contribute", "p0.ptau", "p1.ptau", "--name=proofwatch", "-e=proofwatch"],
        work,
      );
      await snarkjs(["powersoftau", "prepare", "phase2", "p1.ptau", "final.ptau"], work);
      await rename(join(work, "final.ptau"), final);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
  return final;
}

/** Every circom file `main` pulls in through `include`, itself first. */
export async function circuitSources(
  main: string,
  seen = new Map<string, string>(),
): Promise<Map<string, string>> {
  if (seen.has(main)) return seen;
  const text = await readFile(main, "utf8");
  seen.set(main, text);
  for (const match of text.matchAll(/^\s*include\s+"([^"]+)"\s*;/gm)) {
    const included = match[1];
    if (included !== undefined) await circuitSources(join(dirname(main), included), seen);
  }
  return seen;
}

async function packageVersion(name: string): Promise<string> {
  const json: unknown = JSON.parse(
    await readFile(join(repoRoot, "node_modules", name, "package.json"), "utf8"),
  );
  const version = (json as { version?: unknown }).version;
  return typeof version === "string" ? version : "unknown";
}

async function fixtureKey(name: string, sources: Map<string, string>, input: string) {
  const hash = createHash("sha256");
  const tools = `${await packageVersion("snarkjs")} ${await packageVersion("circom2")}`;
  hash.update(`format ${FIXTURE_FORMAT} ptau ${PTAU_POWER} ${tools}\0${name}\0`);
  for (const [path, text] of sources)
    hash.update(`${path.slice(circuitsSourceDir.length)}\0${text}\0`);
  hash.update(input);
  return hash.digest("hex");
}

function fixtureFiles(name: CircuitName, dir: string) {
  return {
    name,
    dir,
    r1cs: join(dir, `${name}.r1cs`),
    wasm: join(dir, `${name}_js`, `${name}.wasm`),
    zkey: join(dir, "circuit.zkey"),
    wtns: join(dir, "witness.wtns"),
    vkey: join(dir, "verification_key.json"),
    input: join(dir, "input.json"),
    snarkjsProof: join(dir, "snarkjs_proof.json"),
    snarkjsPublic: join(dir, "snarkjs_public.json"),
  };
}

async function readManifest(path: string): Promise<Manifest | undefined> {
  try {
    return Manifest.parse(JSON.parse(await readFile(path, "utf8")));
  } catch {
    return undefined;
  }
}

/**
 * Compiles circom in `work`: circom2 is WebAssembly under WASI and cannot open includes
 * through a path outside its working folder, so the sources are copied in first (flat:
 * the test circuits only include their siblings).
 */
export async function compileCircuit(
  sources: Map<string, string>,
  mainFile: string,
  work: string,
): Promise<ExecResult> {
  for (const [path, text] of sources) await writeFile(join(work, basename(path)), text);
  return execOrThrow(process.execPath, [circomCli, mainFile, "--r1cs", "--wasm", "-o", "."], {
    cwd: work,
  });
}

async function buildFixture(
  name: CircuitName,
  key: string,
  sources: Map<string, string>,
  input: string,
  work: string,
) {
  const files = fixtureFiles(name, work);
  await compileCircuit(sources, `${name}.circom`, work);
  await writeFile(files.input, input);
  await snarkjs(["wtns", "calculate", files.wasm, files.input, files.wtns]);
  const ptau = await ensurePtau();
  const initial = join(work, "circuit_0000.zkey");
  await snarkjs(["groth16", "setup", files.r1cs, ptau, initial]);
  await snarkjs(["zkey", "contribute", initial, files.zkey, "--name=proofwatch", "-e=proofwatch"]);
  await rm(initial);
  await snarkjs(["zkey", "export", "verificationkey", files.zkey, files.vkey]);
  await snarkjs([
    "groth16",
    "prove",
    files.zkey,
    files.wtns,
    files.snarkjsProof,
    files.snarkjsPublic,
  ]);
  const publicSignals = z
    .array(decimal)
    .parse(JSON.parse(await readFile(files.snarkjsPublic, "utf8")));
  const header = readR1csHeader(await readFile(files.r1cs));
  const manifest: Manifest = {
    key,
    publicSignals,
    nConstraints: header.nConstraints,
    nPublic: header.nPubOut + header.nPubIn,
  };
  await writeFile(join(work, "fixture.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * The cached fixture for `name`, built on first use (a few seconds per circuit, plus
 * about two minutes once for the shared powers of tau). Safe to call from several
 * processes at once: one builds under a lock, in a temporary folder renamed into place.
 */
export async function ensureCircuit(name: CircuitName): Promise<CircuitFixture> {
  const sources = await circuitSources(join(circuitsSourceDir, `${name}.circom`));
  const input = await readFile(join(circuitsSourceDir, `${name}.input.json`), "utf8");
  const key = await fixtureKey(name, sources, input);
  const dir = join(circuitsCacheDir, name);
  const manifestPath = join(dir, "fixture.json");

  let manifest = await readManifest(manifestPath);
  if (manifest?.key !== key) {
    await mkdir(circuitsCacheDir, { recursive: true });
    await withLock(`${dir}.lock`, async () => {
      if ((await readManifest(manifestPath))?.key === key) return;
      const work = tempName(dir);
      await mkdir(work);
      try {
        await buildFixture(name, key, sources, input, work);
        await rm(dir, { recursive: true, force: true });
        await rename(work, dir);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });
    manifest = await readManifest(manifestPath);
    if (manifest?.key !== key) throw new Error(`fixture ${name} missing after build`);
  }
  return {
    ...fixtureFiles(name, dir),
    publicSignals: manifest.publicSignals,
    nConstraints: manifest.nConstraints,
    nPublic: manifest.nPublic,
  };
}

export interface VerifyResult {
  valid: boolean;
  /** snarkjs' reason: "OK!", "Invalid proof", "Proof commitments are not valid.", ... */
  message: string;
}

const verifyMessages = [
  "OK!",
  "Invalid proof",
  "Proof commitments are not valid.",
  "Public inputs are not valid.",
];

/**
 * `snarkjs groth16 verify` in a child process. Throws unless snarkjs gave a verdict, so a
 * proof file it cannot even read does not pass for a rejected proof.
 */
export async function snarkjsVerifyDetailed(
  vkey: string,
  publicJson: string,
  proofJson: string,
): Promise<VerifyResult> {
  const result = await exec(process.execPath, [
    snarkjsCli,
    "groth16",
    "verify",
    vkey,
    publicJson,
    proofJson,
  ]);
  const output = result.stdout + result.stderr;
  const message = verifyMessages.find((m) => output.includes(m));
  if (message === undefined) {
    throw new Error(`snarkjs groth16 verify gave no verdict (exit ${result.code}):\n${output}`);
  }
  const valid = message === "OK!";
  if (valid !== (result.code === 0)) {
    throw new Error(`snarkjs said ${message} but exited with ${result.code}:\n${output}`);
  }
  return { valid, message };
}

export async function snarkjsVerify(vkey: string, publicJson: string, proofJson: string) {
  return (await snarkjsVerifyDetailed(vkey, publicJson, proofJson)).valid;
}

export interface ProverRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `proofwatch-prover` with `args`; killed after `timeoutMs`. */
export async function runProver(
  args: readonly string[],
  timeoutMs = 120_000,
  env?: NodeJS.ProcessEnv,
): Promise<ProverRun> {
  const { code, stdout, stderr } = await exec(proverPath, args, { timeoutMs, env });
  return { code, stdout, stderr };
}

export const proverMissingReason = `prover binary not built (${proverPath}); run \`npm run build\``;
export const proverPresent = existsSync(proverPath);

export const benchCircuitMissingReason = `prover-bench-circuit not built (${benchCircuitPath}); run \`npm run build\``;
export const benchCircuitPresent = existsSync(benchCircuitPath);
