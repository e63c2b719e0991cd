// deploy/container: the build context Docker would send (the checkout less .dockerignore)
// holds every source a clone has and none of what a checkout builds or caches, every file the
// Dockerfiles COPY or RUN from it is in it, and the stages fit together (one Node for build
// and runtime, an LTS one; CUDA devel to build, a CUDA base image to run). There is no Docker
// engine here: that the build commands themselves succeed is test/deploy/npm-install.test.ts,
// which runs deploy/container/build.sh in a copy of the checkout.
//
// .dockerignore is read with @balena/dockerignore, a port of Docker's own matcher
// (moby's fileutils).
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ignore } from "@balena/dockerignore";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { packageRoot } from "../../common/package-root.js";
import { helmBinary } from "./helm-binary.js";

const root = packageRoot();

// Its types declare an ES default export, but the module is CommonJS (`module.exports =`), so
// under NodeNext it is required rather than imported.
const dockerignore = createRequire(import.meta.url)("@balena/dockerignore") as () => Ignore;

const ignoreLines = readFileSync(join(root, ".dockerignore"), "utf8").split("\n");
const ignored = dockerignore().add(ignoreLines);
// With no exception (`!`) pattern, nothing under an excluded folder can come back, so the
// walk skips the folder, as Docker does.
const hasExceptions = ignoreLines.some((line) => line.trim().startsWith("!"));

/** The files (and links) Docker would send as the context, relative to the root. */
function listContext(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!hasExceptions && ignored.ignores(path)) continue;
        walk(path);
      } else if (!ignored.ignores(path)) {
        files.push(path);
      }
    }
  };
  walk("");
  return files.sort();
}

function git(args: string[]): string[] {
  const result = spawnSync("git", args, { cwd: root, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.split("\0").filter(Boolean);
}

function isElf(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(join(root, path), "r");
  } catch (error) {
    // Removed since the walk (another suite's scratch file): not in the context any more.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

interface Instruction {
  keyword: string;
  args: string;
}

/** A Dockerfile's instructions, continuation lines joined, comments dropped. */
function parseDockerfile(file: string): Instruction[] {
  const joined = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

/** The context paths a COPY without --from reads (every argument but the destination). */
function copySources(instruction: Instruction): string[] | null {
  const words = instruction.args.split(/\s+/);
  if (words.some((word) => word.startsWith("--from="))) return null;
  const paths = words.filter((word) => !word.startsWith("--"));
  return paths.slice(0, -1);
}

const context = listContext();
const contextSet = new Set(context);

describe(".dockerignore: the build context", () => {
  it("holds every file a clone has", () => {
    const tracked = git(["ls-files", "-z"]).filter((path) => existsSync(join(root, path)));
    expect(tracked.length).toBeGreaterThan(100);
    expect(tracked.filter((path) => !contextSet.has(path))).toEqual([]);
  });

  it("leaves out everything git ignores: dependencies, builds, caches", () => {
    // `--directory` names an ignored folder once, as `node_modules/`.
    const gitIgnored = git([
      "ls-files",
      "-z",
      "--others",
      "--ignored",
      "--exclude-standard",
      "--directory",
    ]).map((path) => path.replace(/\/$/, ""));
    const leaked = gitIgnored.filter((path) =>
      context.some((file) => file === path || file.startsWith(`${path}/`)),
    );
    expect(leaked).toEqual([]);
  });

  it("leaves out the build outputs even where this checkout has none yet", () => {
    const outputs = [
      ".git/HEAD",
      "node_modules/yaml/package.json",
      "verifier/node_modules/x/index.js",
      "dist/cli/main.js",
      "build/Release/proofwatch_nvml.node",
      "build/config.gypi",
      "prover/build/CMakeCache.txt",
      "prover/build/proofwatch-prover",
      ".scratch/cuda90/CMakeCache.txt",
      "bench/out/prover.json",
      ".cache/circuits/multiplier/circuit.zkey",
      "proofwatch-0.1.0.tgz",
      "npm-debug.log",
    ];
    expect(outputs.filter((path) => !ignored.ignores(path))).toEqual([]);
  });

  it("holds no compiled binary", () => {
    expect(context.filter(isElf)).toEqual([]);
  });
});

const dockerfiles = ["Dockerfile", "Dockerfile.cuda"];

describe.each(dockerfiles)("deploy/container/%s", (name) => {
  const instructions = parseDockerfile(join(root, "deploy/container", name));
  const froms = instructions.filter((i) => i.keyword === "FROM").map((i) => i.args);
  const args = new Map(
    instructions
      .filter((i) => i.keyword === "ARG" && i.args.includes("="))
      .map((i) => i.args.split("=", 2) as [string, string]),
  );

  it("copies and runs only what the context holds", () => {
    const copies = instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD");
    const sources = copies.flatMap((i) => copySources(i) ?? []);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const path = source.replace(/^\.\//, "").replace(/\/$/, "");
      const present =
        path === "."
          ? context.length > 0
          : context.some((f) => f === path || f.startsWith(`${path}/`));
      expect(present, `${name}: COPY ${source}`).toBe(true);
    }
    const scripts = instructions
      .filter((i) => i.keyword === "RUN")
      .flatMap((i) => i.args.match(/deploy\/container\/[\w.-]+/g) ?? []);
    expect(scripts).toContain("deploy/container/build.sh");
    for (const script of scripts) expect(contextSet, `${name}: RUN ${script}`).toContain(script);
  });

  it("builds in one stage and runs in another, on the same Node, an LTS one", () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const stageNames = froms.flatMap((from) => from.match(/\bAS\s+(\S+)/i)?.[1] ?? []);
    const fromStages = instructions
      .flatMap((i) => i.args.match(/--from=(\S+)/)?.[1] ?? [])
      .filter((stage) => !stage.includes("/"));
    expect(fromStages.length).toBeGreaterThan(0);
    for (const stage of fromStages) expect(stageNames).toContain(stage);
    // The last stage is the image: it copies the build's prefix and checks it (smoke.sh).
    const lastFrom = instructions.map((i) => i.keyword).lastIndexOf("FROM");
    const runtime = instructions.slice(lastFrom);
    expect(runtime.some((i) => /--from=build\s+\/opt\/proofwatch\b/.test(i.args))).toBe(true);
    expect(runtime.some((i) => i.keyword === "RUN" && i.args.includes("smoke.sh"))).toBe(true);
    expect(runtime.some((i) => i.keyword === "USER" && /^65534(:65534)?$/.test(i.args))).toBe(true);

    // Every Node image takes one NODE_VERSION, an even (LTS) line with years of support left.
    const nodeImages = froms.filter((from) => from.startsWith("node:"));
    expect(nodeImages.length).toBeGreaterThan(0);
    for (const image of nodeImages) expect(image).toMatch(/^node:\$\{NODE_VERSION\}-/);
    const major = Number(args.get("NODE_VERSION")?.split(".")[0]);
    const endOfLife: Record<number, string> = { 22: "2027-04-30", 24: "2028-04-30" };
    expect(Object.keys(endOfLife), `NODE_VERSION ${major} is not a known LTS line`).toContain(
      String(major),
    );
    expect(
      Date.parse(endOfLife[major] as string),
      `Node ${major} reaches its end of life on ${endOfLife[major]}`,
    ).toBeGreaterThan(Date.now());
  });

  if (name === "Dockerfile.cuda") {
    it("builds with CUDA's devel image and runs on its base image of the same release", () => {
      const cuda = froms.filter((from) => from.startsWith("nvidia/cuda:"));
      expect(cuda).toHaveLength(2);
      expect(cuda[0]).toMatch(/^nvidia\/cuda:\$\{CUDA_VERSION\}-devel-\$\{UBUNTU\} AS build$/);
      expect(cuda[1]).toMatch(/^nvidia\/cuda:\$\{CUDA_VERSION\}-base-\$\{UBUNTU\}$/);
      expect(args.get("CUDA_VERSION")).toMatch(/^\d+\.\d+\.\d+$/);
      // The runtime's Node is copied from the stage the build's came from.
      expect(
        instructions.filter((i) => i.keyword === "COPY" && i.args.startsWith("--from=node ")),
      ).not.toEqual([]);
      const smoke = instructions.find((i) => i.keyword === "RUN" && i.args.includes("smoke.sh"));
      expect(smoke?.args).toContain("--cuda");
    });
  }
});

describe("the Helm chart's images", () => {
  /** Each container's image, by workload name, as `helm template` renders them. */
  function images(set: string[]): Map<string, string> {
    const scratch = mkdtempSync(join(tmpdir(), "proofwatch-helm-images-"));
    try {
      const args = ["template", "fleet", join(root, "deploy/helm/proofwatch"), "-n", "pw"];
      for (const value of set) args.push("--set", value);
      const result = spawnSync(helmBinary(), args, {
        encoding: "utf8",
        env: {
          ...process.env,
          HELM_CONFIG_HOME: scratch,
          HELM_CACHE_HOME: scratch,
          HELM_DATA_HOME: scratch,
        },
      });
      expect(result.status, result.stderr).toBe(0);
      const found = new Map<string, string>();
      for (const doc of parseAllDocuments(result.stdout)) {
        const object = doc.toJS() as {
          metadata?: { name: string };
          spec?: { template?: { spec?: { containers?: { image: string }[] } } };
        } | null;
        for (const container of object?.spec?.template?.spec?.containers ?? []) {
          found.set(object?.metadata?.name ?? "", container.image);
        }
      }
      return found;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  const withProver = ["prover.enabled=true", "prover.nodes[0].name=gpu-node-01"];

  it("runs the provers on the CUDA variant and every other service on the plain image", () => {
    const chart = readFileSync(join(root, "deploy/helm/proofwatch/Chart.yaml"), "utf8");
    const appVersion = chart.match(/^appVersion:\s*"?([^"\n]+)"?$/m)?.[1];
    const found = images(withProver);
    expect(found.get("fleet-proofwatch-prover-gpu-node-01")).toBe(
      `ghcr.io/proofwatch/proofwatch:${appVersion}-cuda`,
    );
    const others = [...found].filter(([name]) => !name.includes("-prover-"));
    expect(others.length).toBeGreaterThanOrEqual(3);
    for (const [, image] of others)
      expect(image).toBe(`ghcr.io/proofwatch/proofwatch:${appVersion}`);
  });

  it("follows image.tag, and takes a prover image given in full", () => {
    const tagged = images([...withProver, "image.tag=0.2.0"]);
    expect(tagged.get("fleet-proofwatch-prover-gpu-node-01")).toBe(
      "ghcr.io/proofwatch/proofwatch:0.2.0-cuda",
    );
    const given = images([...withProver, "prover.image=registry.example/pw-cuda:7"]);
    expect(given.get("fleet-proofwatch-prover-gpu-node-01")).toBe("registry.example/pw-cuda:7");
  });
});
