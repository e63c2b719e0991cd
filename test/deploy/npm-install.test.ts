// The npm package as a user installs it (`npm install -g proofwatch`): deploy/container/build.sh,
// the image's build stage, run in a copy of the checkout, packs it (`npm pack`, whose prepare
// compiles dist/) and installs the tarball with `npm install -g` into a temporary prefix, which
// compiles the addons and fake-nvml from the packed sources with the node-gyp the package
// depends on, outside any git checkout. Then, from that install: the tarball's contents,
// `proofwatch --version`, smoke.sh (better-sqlite3 and both addons load), and the exporter
// serving a fake-nvml fleet.
//
// What it leaves out, to stay near three minutes on CI's two cores:
// - The copy links the checkout's node_modules rather than running a second `npm ci`: the dev
//   dependencies the pack needs (TypeScript) are those. build.sh runs `npm ci` only where a
//   checkout has none, as in the image.
// - PROOFWATCH_SKIP_PROVER_BUILD=1: the prover's CMake build takes minutes more (with nvcc
//   present, as on the GPU build machines, the CUDA backend alone takes about two). Its packed
//   sources are checked here against what a checkout tracks; `npm ci` builds the same sources
//   for test/prover, and the image's build (smoke.sh) runs the binaries.
// - --prefer-offline: the production dependencies come from npm's cache, warm after `npm ci`.
// - better-sqlite3's install fetches a prebuilt binary from GitHub releases, out of reach on
//   CI's machines, and otherwise compiles SQLite (a minute of CPU). prebuild-install's
//   local-prebuilds option hands it, as a mirror would, the binary this checkout's `npm ci`
//   compiled from the same release for the same Node. Should npm resolve another release,
//   nothing matches and it compiles, slower but the same test.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../common/package-root.js";
import { exec } from "../helpers/exec.js";

const root = packageRoot();
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version as string;
const BUILD_TIMEOUT_MS = 9 * 60_000;

let work: string;
let prefix: string;
let installed: string;
let tarball: string[];

function git(args: string[]): string[] {
  const result = spawnSync("git", args, { cwd: root, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.split("\0").filter(Boolean);
}

/** The files a clone of this working tree would have: tracked, and new ones git does not ignore. */
function copyCheckout(to: string): void {
  for (const path of git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])) {
    const from = join(root, path);
    if (!existsSync(from)) continue; // deleted in the working tree
    mkdirSync(dirname(join(to, path)), { recursive: true });
    cpSync(from, join(to, path), { verbatimSymlinks: true });
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "proofwatch-npm-install-"));
  const source = join(work, "source");
  const packDir = join(work, "pack");
  prefix = join(work, "prefix");
  mkdirSync(packDir);
  copyCheckout(source);
  symlinkSync(join(root, "node_modules"), join(source, "node_modules"));

  const sqlite = join(root, "node_modules/better-sqlite3");
  const sqliteVersion = JSON.parse(readFileSync(join(sqlite, "package.json"), "utf8")).version;
  const prebuilds = join(work, "prebuilds");
  mkdirSync(prebuilds);
  const prebuilt = `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const packed = spawnSync("tar", [
    "-czf",
    join(prebuilds, prebuilt),
    "-C",
    sqlite,
    "build/Release/better_sqlite3.node",
  ]);
  if (packed.status !== 0) throw new Error(`tar: ${packed.stderr}`);

  const started = Date.now();
  const build = await exec("bash", [join(source, "deploy/container/build.sh"), prefix], {
    cwd: work,
    timeoutMs: BUILD_TIMEOUT_MS,
    env: {
      ...process.env,
      PACK_DIR: packDir,
      NPM_FLAGS: "--prefer-offline",
      PROOFWATCH_SKIP_PROVER_BUILD: "1",
      npm_config_better_sqlite3_local_prebuilds: prebuilds,
      // Where npm has an install-script policy, a script build.sh does not allow fails.
      npm_config_strict_allow_scripts: "true",
      npm_config_update_notifier: "false",
    },
  });
  if (build.code !== 0) {
    throw new Error(
      `build.sh exited ${build.code ?? build.signal}:\n${build.stdout.slice(-4000)}\n${build.stderr.slice(-8000)}`,
    );
  }
  console.log(`build.sh (pack + npm install -g, no prover): ${(Date.now() - started) / 1000} s`);

  const list = spawnSync("tar", ["-tzf", join(packDir, `proofwatch-${version}.tgz`)], {
    encoding: "utf8",
  });
  if (list.status !== 0) throw new Error(`tar: ${list.stderr}`);
  tarball = list.stdout
    .split("\n")
    .filter(Boolean)
    .map((entry) => entry.replace(/^package\//, ""));
  installed = join(prefix, "lib/node_modules/proofwatch");
}, BUILD_TIMEOUT_MS + 60_000);

// The prefix holds some 40,000 files (the production dependencies): removing them takes
// longer than the tests on a busy disk, so it goes on in the background.
afterAll(() => {
  if (work) spawn("rm", ["-rf", work], { detached: true, stdio: "ignore" }).unref();
});

describe("npm pack", () => {
  it("holds the compiled TypeScript and the command", () => {
    for (const path of ["bin/proofwatch", "dist/cli/main.js", "dist/exporter/src/index.js"]) {
      expect(tarball).toContain(path);
    }
    expect(tarball.filter((path) => path.endsWith(".ts") && !path.endsWith(".d.ts"))).toEqual([]);
  });

  it("holds every source the native build reads", () => {
    const nativeSources = git([
      "ls-files",
      "-z",
      "binding.gyp",
      "scripts/build-native.sh",
      "native/include",
      "native/src",
      "native/probe",
      "native/fake-nvml/src",
      "native/fake-nvml/exports.map",
      "bn254",
      "verifier/native/src",
      "prover/CMakeLists.txt",
      "prover/src",
      "prover/tests",
    ]);
    expect(nativeSources.length).toBeGreaterThan(50);
    expect(nativeSources.filter((path) => !tarball.includes(path))).toEqual([]);
    // What binding.gyp names, read from binding.gyp itself.
    const gyp = readFileSync(join(root, "binding.gyp"), "utf8");
    const gypSources = [...gyp.matchAll(/"([\w/.-]+\.(?:cc|cpp|c|map|sh))"/g)].map((m) => m[1]);
    expect(gypSources.length).toBeGreaterThan(10);
    expect(gypSources.filter((path) => !tarball.includes(path as string))).toEqual([]);
  });

  it("holds the files the services read at run time", () => {
    const runtimeFiles = git(["ls-files", "-z", "exporter/proto", "demo/circuits"]).concat(
      "demo/scenario.json",
      "alerts/alertmanager.example.yml",
      "native/fake-nvml/scenarios/h100x8.json",
    );
    expect(runtimeFiles.filter((path) => !tarball.includes(path))).toEqual([]);
    expect(tarball.filter((path) => /^alerts\/[^/]+\.rules\.yml$/.test(path)).length).toBe(
      git(["ls-files", "-z", "alerts/*.rules.yml"]).length,
    );
  });

  it("holds no build output, dependency, test or cache", () => {
    const unwanted = tarball.filter(
      (path) =>
        /^(node_modules|build|prover\/build|test|\.cache|\.git)\//.test(path) ||
        /\.(node|o|a|so)$/.test(path),
    );
    expect(unwanted).toEqual([]);
  });
});

describe("npm install -g of the tarball", () => {
  it("builds the addons and fake-nvml from the packed sources, and no prover when told not to", () => {
    for (const file of [
      "proofwatch_nvml.node",
      "proofwatch_verifier.node",
      "fake_nvml.so",
      "nvml_probe",
    ]) {
      expect(existsSync(join(installed, "build/Release", file)), file).toBe(true);
    }
    expect(existsSync(join(installed, "prover/build"))).toBe(false);
    expect(existsSync(join(installed, "node_modules/node-gyp/package.json"))).toBe(true);
  });

  it("puts a working `proofwatch` in the prefix", async () => {
    const result = await exec(join(prefix, "bin/proofwatch"), ["--version"], { cwd: work });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(version);
  });

  it("passes the image's smoke check: better-sqlite3 and both addons load", async () => {
    const smoke = join(root, "deploy/container/smoke.sh");
    const result = await exec("sh", [smoke, prefix, "--no-prover"], { cwd: work });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("smoke: ok");
  });

  it("runs the exporter on fake-nvml from the install", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const scenario = join(installed, "native/fake-nvml/scenarios/h100x8.json");
    const gpus = (JSON.parse(readFileSync(scenario, "utf8")) as { devices: { count: number }[] })
      .devices[0]?.count;
    expect(gpus).toBe(8);
    const exporter = spawn(
      join(prefix, "bin/proofwatch"),
      ["exporter", "--listen", `127.0.0.1:${port}`],
      {
        cwd: work,
        env: {
          ...process.env,
          PROOFWATCH_NVML_LIBRARY: join(installed, "build/Release/fake_nvml.so"),
          FAKE_NVML_SCENARIO: scenario,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    exporter.stdout?.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    exporter.stderr?.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    try {
      await untilListening(exporter, url, () => output);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^proofwatch_exporter_nvml_up 1$/m);
      expect(metrics.match(/^proofwatch_gpu_up\{[^}]*\} 1$/gm)).toHaveLength(8);
      expect(metrics).toContain(`proofwatch_exporter_build_info{version="${version}"} 1`);
    } finally {
      const exited = new Promise((resolve) => exporter.once("exit", resolve));
      exporter.kill("SIGTERM");
      await exited;
    }
    expect(exporter.exitCode, output).toBe(0);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

async function untilListening(child: ChildProcess, url: string, output: () => string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the exporter exited before listening:\n${output()}`);
    }
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the exporter did not listen on ${url}:\n${output()}`);
}
