// The spool reads only what its writers put in it: a sub-folder that is a link, or a
// proof.json, public.json or meta.json that is a link, a hard link or not a regular file, is
// moved to .rejected/ with the reason and nothing of it is stored; the content of a file
// outside the spool never appears in any API answer.
import { execFileSync } from "node:child_process";
import { link, mkdir, readdir, readFile, rename, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GateChecker,
  getJson,
  multiplierWorkspace,
  type ProofPair,
  type RunningVerifier,
  start,
  until,
  type Verdict,
  type Workspace,
} from "./helpers.js";

const SECRET = "SECRET-7d1c0e9a-outside-the-spool";
const LINK_REASON = "a symbolic link: the spool never follows links";

describe("spool entries that point outside it", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let pair: ProofPair;
  let outside: string;
  const meta = (jobId: string) => ({
    circuit: "multiplier",
    gpu: { uuid: "GPU-links", host: "prover-1" },
    jobId,
  });

  beforeAll(async () => {
    let proofs: ProofPair[];
    ({ ws, proofs } = await multiplierWorkspace("spool-links", 1));
    pair = proofs[0] as ProofPair;
    outside = join(ws.dir, "outside");
    await mkdir(outside);
    await writeFile(join(outside, "secret.txt"), `${SECRET}\nroot:x:0:0:root:/root:/bin/bash\n`);
    await writeFile(join(outside, "secret.json"), JSON.stringify({ ...pair.proof, note: SECRET }));
    await writeFile(join(outside, "hardlinked.json"), JSON.stringify(pair.proof));
    // A complete, valid proof folder outside the spool, to be linked in.
    await mkdir(join(outside, "folder"));
    await writeFile(join(outside, "folder/proof.json"), JSON.stringify(pair.proof));
    await writeFile(join(outside, "folder/public.json"), JSON.stringify(pair.publicSignals));
    await writeFile(join(outside, "folder/meta.json"), JSON.stringify(meta("linked-folder")));

    const gate = new GateChecker();
    gate.open();
    verifier = await start(ws, { checker: gate, spoolDir: ws.spool, rescanMs: 200 });
  });
  afterAll(async () => {
    await verifier?.close();
    await ws?.cleanup();
  });

  /** A spool folder built aside and renamed into place; `files` values are text, or a
   * function that makes the entry at the path it is given. */
  async function write(
    name: string,
    files: Record<string, string | ((path: string) => Promise<unknown>)>,
  ): Promise<void> {
    const tmp = join(ws.spool, `.${name}`);
    await mkdir(tmp);
    for (const [file, content] of Object.entries(files)) {
      const path = join(tmp, file);
      if (typeof content === "string") await writeFile(path, content);
      else await content(path);
    }
    await rename(tmp, join(ws.spool, name));
  }
  const good = (jobId: string) => ({
    "proof.json": JSON.stringify(pair.proof),
    "public.json": JSON.stringify(pair.publicSignals),
    "meta.json": JSON.stringify(meta(jobId)),
  });
  const linkTo = (target: string) => (path: string) => symlink(target, path);
  const reasonOf = (name: string) =>
    until(
      () =>
        readFile(join(ws.spool, ".rejected", name, "reason.txt"), "utf8").catch(() => undefined),
      `${name} rejected`,
    );

  it("moves a sub-folder that is a link to .rejected/, leaving its target alone", async () => {
    await symlink(join(outside, "folder"), join(ws.spool, "linked"));

    expect(await reasonOf("linked")).toBe(`${LINK_REASON}\n`);
    expect(await readdir(join(ws.spool, ".rejected/linked"))).toEqual(["linked", "reason.txt"]);
    expect((await readdir(join(outside, "folder"))).sort()).toEqual([
      "meta.json",
      "proof.json",
      "public.json",
    ]);
  });

  it.each([
    ["proof.json to a text file", "proof.json", () => join(outside, "secret.txt")],
    ["proof.json to a JSON file", "proof.json", () => join(outside, "secret.json")],
    ["public.json", "public.json", () => join(outside, "secret.json")],
    ["meta.json", "meta.json", () => join(outside, "folder/meta.json")],
    ["proof.json, dangling", "proof.json", () => join(outside, "nothing-here")],
  ])("rejects a folder whose %s is a link", async (name, file, target) => {
    const folder = `link-${name.replace(/\W+/g, "-")}`;
    await write(folder, { ...good(folder), [file]: linkTo(target()) });

    expect(await reasonOf(folder)).toBe(`${file}: ${LINK_REASON}\n`);
  });

  it("rejects a hard link and a FIFO", async () => {
    await write("hard-link", {
      ...good("hard-link"),
      "proof.json": (path) => link(join(outside, "hardlinked.json"), path),
    });
    await write("fifo", {
      ...good("fifo"),
      "public.json": async (path) => execFileSync("mkfifo", [path]),
    });

    expect(await reasonOf("hard-link")).toBe("proof.json: a hard link (2 names): refused\n");
    expect(await reasonOf("fifo")).toBe("public.json: not a regular file\n");
  });

  it("writes reason.txt without following a link the writer left under that name", async () => {
    await write("reason-link", {
      ...good("reason-link"),
      "meta.json": "{}",
      "reason.txt": linkTo(join(outside, "secret.txt")),
    });

    await until(
      async () =>
        (await readdir(join(ws.spool, ".rejected/reason-link")).catch(() => [])).some((f) =>
          /^reason\.\d+\.txt$/.test(f),
        ) || undefined,
      "reason-link rejected",
    );
    expect(await readFile(join(outside, "secret.txt"), "utf8")).toMatch(new RegExp(`^${SECRET}\n`));
  });

  it("stores nothing of them, still takes a good folder, and shows no outside content", async () => {
    await write("good", good("good"));

    const verdicts = await until(async () => {
      const list = (
        await getJson<{ verdicts: Verdict[] }>(`${verifier.url}/v1/verdicts?full=1&limit=100`)
      ).verdicts;
      return list.length > 0 ? list : undefined;
    }, "the good folder's verdict");
    expect(verdicts.map((v) => (v as unknown as { jobId: string }).jobId)).toEqual(["good"]);
    const answers = await Promise.all(
      [
        "/v1/verdicts?full=1&limit=100",
        "/v1/verdicts?result=malformed",
        "/v1/gpus",
        "/v1/circuits",
        "/metrics",
        ...verdicts.map((v) => `/v1/proofs/${v.id}`),
      ].map(async (path) => (await fetch(`${verifier.url}${path}`)).text()),
    );
    for (const text of answers) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain("root:x:0:0");
    }
  });
});
