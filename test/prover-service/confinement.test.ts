// A `witnessFile` is read from --witness-dir only (issue 13, item 5): a path outside it, a
// '..' escape, a symbolic link (to a file or through a folder) and anything that is not a
// regular file are refused with 400 before anything is read, and no refusal carries file
// content. Without --witness-dir such jobs are refused with a reason that says how to enable
// them. The spool never follows a link: a linked job file is moved to rejected/ unread, and
// the records it writes replace a link planted in their place rather than write through it.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import {
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProverService } from "../../prover/service/src/index.js";
import { snarkjsVerify } from "../prover/fixtures.js";
import {
  finished,
  fixture,
  getJob,
  post,
  start,
  until,
  type Workspace,
  workspace,
} from "./helpers.js";

const SECRET = "TOP-SECRET-not-a-witness-4242";

/** Writes a spool job the way writers must: aside, then renamed in. */
async function spoolJob(ws: Workspace, name: string, body: Record<string, unknown>) {
  const aside = join(ws.spool, `.${name}.tmp`);
  await writeFile(aside, JSON.stringify(body));
  await rename(aside, join(ws.spool, `${name}.json`));
}

const inRejected = (ws: Workspace, name: string) =>
  until(
    () => (existsSync(join(ws.spool, "rejected", `${name}.error.txt`)) ? true : undefined),
    `${name} in rejected/`,
    10_000,
  );

describe("witness files inside --witness-dir only", () => {
  let ws: Workspace;
  let prover: RunningProverService;
  /** A valid witness outside the folder: had it been read, its job would have been proved. */
  let outside: string;

  beforeAll(async () => {
    ws = await workspace("confinement", 1);
    outside = join(ws.dir, "outside.wtns");
    await copyFile(fixture(ws, "multiplier").wtns, outside);
    await writeFile(join(ws.dir, "secret.txt"), `${SECRET}\n`);
    await symlink(outside, join(ws.witnesses, "to-outside.wtns"));
    await symlink(join(ws.dir, "secret.txt"), join(ws.witnesses, "secret.wtns"));
    await symlink("multiplier.wtns", join(ws.witnesses, "alias.wtns"));
    await symlink(ws.dir, join(ws.witnesses, "up"));
    await mkdir(join(ws.witnesses, "sub"));
    await copyFile(fixture(ws, "multiplier").wtns, join(ws.witnesses, "sub", "m.wtns"));
    execFileSync("mkfifo", [join(ws.witnesses, "fifo.wtns")]);
    prover = await start(ws, { spoolDir: ws.spool });
  });
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it.each([
    ["outside-abs", () => outside, /is not inside the witness folder/],
    ["escape-rel", () => "../outside.wtns", /is not inside the witness folder/],
    // Written out: join() would fold the '..' away.
    ["escape-abs", () => `${ws.witnesses}/../outside.wtns`, /is not inside the witness folder/],
    ["link-out", () => join(ws.witnesses, "to-outside.wtns"), /symbolic link/],
    ["link-secret", () => "secret.wtns", /symbolic link/],
    ["link-in", () => "alias.wtns", /symbolic link/],
    ["linked-folder", () => join(ws.witnesses, "up", "outside.wtns"), /symbolic link/],
    ["fifo", () => "fifo.wtns", /is not a regular file/],
  ])("refuses %s with 400, reads nothing and makes no job", async (id, path, reason) => {
    const reply = await post(`${prover.url}/v1/jobs`, {
      id,
      circuit: "multiplier",
      witnessFile: path(),
    });

    expect(reply.status, JSON.stringify(reply.body)).toBe(400);
    expect(String(reply.body.error)).toMatch(reason);
    expect(JSON.stringify(reply.body)).not.toContain(SECRET);
    expect((await fetch(`${prover.url}/v1/jobs/${id}`)).status).toBe(404);
    expect(existsSync(join(ws.out, id)), "no out folder, no copy of the file").toBe(false);
  });

  it("proves a witness named relative to the folder and removes its copy when done", async () => {
    const multiplier = fixture(ws, "multiplier");
    const ids = ["relative", "nested"];
    for (const [id, witnessFile] of [
      ["relative", "multiplier.wtns"],
      ["nested", join(ws.witnesses, "sub", "m.wtns")],
    ]) {
      const reply = await post(`${prover.url}/v1/jobs`, { id, circuit: "multiplier", witnessFile });
      expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    }
    for (const id of ids) {
      const job = await finished(prover.url, id);
      expect(job.state, JSON.stringify(job)).toBe("proved");
      const result = job.result as NonNullable<typeof job.result>;
      expect(await snarkjsVerify(multiplier.vkey, result.publicFile, result.proofFile)).toBe(true);
      await until(
        () => (existsSync(join(ws.out, id, "witness.wtns")) ? undefined : true),
        "the witness copy removed",
      );
    }
    expect(existsSync(multiplier.wtns), "the original stays").toBe(true);
  });

  it("takes a spool job's relative witnessFile from the witness folder, not the spool", async () => {
    await spoolJob(ws, "spool-relative", { circuit: "multiplier", witnessFile: "multiplier.wtns" });
    const job = await until(async () => {
      const record = await getJob(prover.url, "spool-relative").catch(() => undefined);
      return record?.state === "proved" ? record : undefined;
    }, "the spooled job");
    expect(job.source).toBe("spool");
  });

  it("moves a spool job whose witnessFile escapes to rejected/ with the reason", async () => {
    // Relative to the spool, as the spool used to take it, this is a valid witness.
    await spoolJob(ws, "spool-escape", { circuit: "multiplier", witnessFile: "../outside.wtns" });
    await inRejected(ws, "spool-escape");
    const reason = await readFile(join(ws.spool, "rejected", "spool-escape.error.txt"), "utf8");
    expect(reason).toMatch(/not inside the witness folder/);
    expect(existsSync(join(ws.spool, "rejected", "spool-escape.json"))).toBe(true);
    expect((await fetch(`${prover.url}/v1/jobs/spool-escape`)).status).toBe(404);
  });

  it("moves a symlinked spool job to rejected/ unread", async () => {
    const target = join(ws.dir, "job-elsewhere.json");
    await writeFile(
      target,
      JSON.stringify({ circuit: "multiplier", witnessValues: ["1", "6", "2", "3"] }),
    );
    await symlink(target, join(ws.spool, "linked.json"));

    await inRejected(ws, "linked");
    const moved = await lstat(join(ws.spool, "rejected", "linked.json"));
    expect(moved.isSymbolicLink(), "the link itself moved, not its target").toBe(true);
    expect(await readFile(join(ws.spool, "rejected", "linked.error.txt"), "utf8")).toMatch(
      /symbolic link/,
    );
    expect(existsSync(target), "the target is left alone").toBe(true);
    expect((await fetch(`${prover.url}/v1/jobs/linked`)).status).toBe(404);
    expect(await readdir(ws.spool)).not.toContain("linked.json");
  });

  it("writes a spool job's record over a planted link, not through it", async () => {
    const victim = join(ws.dir, "victim.txt");
    await writeFile(victim, "untouched\n");
    await symlink(victim, join(ws.spool, "done", "planted.result.json"));

    await spoolJob(ws, "planted", { circuit: "multiplier", witnessValues: ["1", "6", "2", "3"] });
    await until(
      () => (existsSync(join(ws.spool, "done", "planted.json")) ? true : undefined),
      "the spool file in done/",
    );

    expect(await readFile(victim, "utf8")).toBe("untouched\n");
    const record = await lstat(join(ws.spool, "done", "planted.result.json"));
    expect(record.isFile()).toBe(true);
  });
});

// The job's copy of a witness is a hard link where the out folder shares the witness folder's
// file system (every test above); across file systems it is read from the checked handle.
const shm = "/dev/shm";
const otherFileSystem =
  existsSync(shm) && statSync(shm).dev !== statSync(tmpdir()).dev ? shm : undefined;

describe.skipIf(otherFileSystem === undefined)("a witness copied to another file system", () => {
  let ws: Workspace;
  let out: string;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("witness-copy", 1);
    out = await mkdtemp(join(otherFileSystem as string, "proofwatch-witness-copy-"));
    prover = await start(ws, { outDir: out });
  });
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("proves from the copy", async () => {
    const multiplier = fixture(ws, "multiplier");
    const reply = await post(`${prover.url}/v1/jobs`, {
      circuit: "multiplier",
      witnessFile: "multiplier.wtns",
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    const job = await finished(prover.url, String(reply.body.id));
    expect(job.state, JSON.stringify(job)).toBe("proved");
    const result = job.result as NonNullable<typeof job.result>;
    expect(result.proofFile.startsWith(out)).toBe(true);
    expect(await snarkjsVerify(multiplier.vkey, result.publicFile, result.proofFile)).toBe(true);
  });
});

describe("witness files without --witness-dir", () => {
  let ws: Workspace;
  let prover: RunningProverService;

  beforeAll(async () => {
    ws = await workspace("no-witness-dir", 1);
    prover = await start(ws, { witnessDir: null, spoolDir: ws.spool });
  });
  afterAll(async () => {
    await prover?.close();
    await ws?.cleanup();
  });

  it("refuses witnessFile jobs with 400, says how to enable them, proves inline ones", async () => {
    const reply = await post(`${prover.url}/v1/jobs`, {
      circuit: "multiplier",
      witnessFile: fixture(ws, "multiplier").wtns,
    });
    expect(reply.status).toBe(400);
    expect(String(reply.body.error)).toMatch(/--witness-dir/);

    await spoolJob(ws, "needs-dir", {
      circuit: "multiplier",
      witnessFile: fixture(ws, "multiplier").wtns,
    });
    await inRejected(ws, "needs-dir");
    expect(await readFile(join(ws.spool, "rejected", "needs-dir.error.txt"), "utf8")).toMatch(
      /--witness-dir/,
    );
    const inline = await post(`${prover.url}/v1/jobs`, {
      circuit: "multiplier",
      witnessValues: ["1", "33", "3", "11"],
    });
    expect(inline.status).toBe(202);
    expect((await finished(prover.url, String(inline.body.id))).state).toBe("proved");
  });
});
