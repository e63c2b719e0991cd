// Attribution bound to identity: a submission names a GPU and its host, and the verifier
// records it against that GPU only when the caller's identity may speak for them (--provers),
// or when it comes from a spool folder configured for that host (--spool-host). Everything
// else is refused (403, or .rejected/ for the spool), counted, and never touches the GPU.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WEB_FLAGS, type Identity } from "../../common/web/index.js";
import { parseExposition, sampleValue } from "../../demo/src/exposition.js";
import {
  authorize,
  authorizeRequest,
  authorizeSpool,
  loadProvers,
  type ProverRule,
  parseProvers,
} from "../../verifier/src/attribution.js";
import { parseVerifierArgs } from "../../verifier/src/cli.js";
import { postJson } from "../helpers/http.js";
import {
  decided,
  GateChecker,
  getJson,
  multiplierWorkspace,
  type ProofPair,
  type RunningVerifier,
  start,
  submission,
  until,
  type Workspace,
} from "./helpers.js";

const GPU_A = "GPU-aaaaaaaa-0000-0000-0000-000000000001";
const GPU_B1 = "GPU-bbbbbbbb-0000-0000-0000-000000000001";
const GPU_B2 = "GPU-bbbbbbbb-0000-0000-0000-000000000002";

const bearer = (name: string): Identity => ({ method: "bearer", name, names: [name] });

describe("authorize()", () => {
  const rules: ProverRule[] = [
    { identity: "node-a", hosts: ["node-a"] },
    { identity: "node-b", hosts: ["node-b"], gpus: [GPU_B1] },
    { identity: "pool.example", hosts: ["node-c", "node-d"] },
  ];

  it.each([
    ["its host, any GPU there", bearer("node-a"), { host: "node-a", uuid: GPU_A }, undefined],
    ["a GPU its rule lists", bearer("node-b"), { host: "node-b", uuid: GPU_B1 }, undefined],
    [
      "through any of its names (a certificate SAN)",
      { method: "certificate", name: "cn-x", names: ["cn-x", "pool.example"] } as Identity,
      { host: "node-d", uuid: "GPU-d" },
      undefined,
    ],
    [
      "a GPU recorded on the same host",
      bearer("node-a"),
      { host: "node-a", uuid: GPU_A },
      "node-a",
    ],
  ])("allows %s", (_name, identity, claim, recorded) => {
    expect(authorize(identity, claim, rules, recorded)).toEqual({ ok: true });
  });

  it.each([
    [
      "an identity without a rule",
      bearer("stranger"),
      { host: "node-a", uuid: GPU_A },
      undefined,
      "unknown_identity",
      /identity "stranger" is not in --provers/,
    ],
    [
      "another host",
      bearer("node-a"),
      { host: "node-b", uuid: GPU_B1 },
      undefined,
      "foreign_host",
      /may not speak for host "node-b" \(its hosts: "node-a"\)/,
    ],
    [
      "a GPU its rule does not list",
      bearer("node-b"),
      { host: "node-b", uuid: GPU_B2 },
      undefined,
      "foreign_gpu",
      /not among identity "node-b"'s GPUs/,
    ],
    [
      "a GPU listed for another host",
      bearer("node-a"),
      { host: "node-a", uuid: GPU_B1 },
      undefined,
      "foreign_gpu",
      /listed in --provers for host "node-b", not "node-a"/,
    ],
    [
      "a GPU recorded on another host",
      bearer("node-a"),
      { host: "node-a", uuid: "GPU-x" },
      "node-c",
      "foreign_gpu",
      /recorded on host "node-c", not "node-a"/,
    ],
  ])("refuses %s", (_name, identity, claim, recorded, reason, message) => {
    const result = authorize(identity, claim, rules, recorded);

    expect(result).toMatchObject({ ok: false, reason });
    expect(result.ok ? "" : result.message).toMatch(message);
  });

  it("lets a listed GPU move to the host that lists it", () => {
    const moved = [...rules, { identity: "node-a", hosts: ["node-a"], gpus: ["GPU-moved"] }];

    expect(
      authorize(bearer("node-a"), { host: "node-a", uuid: "GPU-moved" }, moved, "node-c"),
    ).toEqual({ ok: true });
  });

  it("refuses every authenticated write without --provers, none under --insecure-no-auth", () => {
    const insecure: Identity = { method: "insecure", name: "anonymous", names: ["anonymous"] };
    const claim = { host: "node-a", uuid: GPU_A };

    expect(authorizeRequest(bearer("node-a"), claim, null)).toMatchObject({
      ok: false,
      reason: "no_provers",
      message: expect.stringMatching(/no --provers file/),
    });
    expect(authorizeRequest(undefined, claim, rules)).toMatchObject({
      ok: false,
      reason: "unauthenticated",
    });
    expect(authorizeRequest(insecure, claim, null)).toEqual({ ok: true });
  });

  it("binds a spool folder to its --spool-host, whatever meta.json says", () => {
    expect(authorizeSpool("node-s", { host: "node-s", uuid: "GPU-s" }, [])).toEqual({ ok: true });
    expect(authorizeSpool("node-s", { host: "node-a", uuid: GPU_A }, [])).toMatchObject({
      ok: false,
      reason: "foreign_host",
      message: expect.stringMatching(/this spool speaks for host "node-s" only \(--spool-host\)/),
    });
    expect(authorizeSpool("node-s", { host: "node-s", uuid: GPU_B1 }, rules)).toMatchObject({
      ok: false,
      reason: "foreign_gpu",
    });
  });
});

describe("the --provers file", () => {
  it("takes a list, or a map keyed by identity", () => {
    const fromList = parseProvers(`
provers:
  - identity: node-a
    hosts: [node-a]
  - identity: node-b
    hosts: [node-b]
    gpus: [${GPU_B1}]
`);
    const fromMap = parseProvers(`
provers:
  node-a: { hosts: [node-a] }
  node-b: { hosts: [node-b], gpus: [${GPU_B1}] }
`);

    expect(fromList).toEqual([
      { identity: "node-a", hosts: ["node-a"] },
      { identity: "node-b", hosts: ["node-b"], gpus: [GPU_B1] },
    ]);
    expect(fromMap).toEqual(fromList);
  });

  it.each([
    ["not YAML", "provers: [\n  - {", /^not YAML: /],
    ["no hosts", "provers: [{identity: node-a}]", /hosts/],
    ["an empty host list", "provers: [{identity: node-a, hosts: []}]", /hosts/],
    ["an unknown key", "provers: [{identity: node-a, hosts: [a], host: b}]", /host/],
    ["a host with a space", "provers: [{identity: node-a, hosts: ['a b']}]", /a host name/],
    ["no provers at all", "{}", /provers/],
  ])("refuses %s with a clear message", (_name, text, message) => {
    expect(() => parseProvers(text)).toThrow(message);
  });

  it("names the file when it cannot be read", () => {
    expect(() => loadProvers("/nonexistent/provers.yml")).toThrow(
      /^--provers \/nonexistent\/provers\.yml: ENOENT/,
    );
  });

  it("is required with credentials only in the sense that writes are refused; --spool needs --spool-host", async () => {
    const base = ["--circuits", "c", "--db", "d"];

    expect(
      parseVerifierArgs([...base, "--provers", "p.yml", "--spool", "s", "--spool-host", "h"]),
    ).toMatchObject({
      proversFile: "p.yml",
      spoolDir: "s",
      spoolHost: "h",
    });
    expect(() => parseVerifierArgs([...base, "--spool-host", "h"])).toThrow(
      /--spool-host is for --spool/,
    );
    const { ws } = await multiplierWorkspace("attribution-flags", 1);
    try {
      await expect(start(ws, { web: DEFAULT_WEB_FLAGS, spoolDir: ws.spool })).rejects.toThrow(
        /--spool needs --spool-host HOST/,
      );
      await writeFile(join(ws.dir, "bad.yml"), "provers: [{identity: x}]");
      await expect(start(ws, { proversFile: join(ws.dir, "bad.yml") })).rejects.toThrow(
        /^--provers .*bad\.yml: provers/,
      );
    } finally {
      await ws.cleanup();
    }
  });
});

describe("attribution through the HTTP API", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let noProvers: RunningVerifier;
  let proofs: ProofPair[];
  let next = 0;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    ({ ws, proofs } = await multiplierWorkspace("attribution", 12));
    for (const name of ["node-a", "node-b", "node-c", "stranger"]) {
      tokens[name] = `token-${name}-${createHash("sha256").update(name).digest("hex")}`;
    }
    const digest = (token: string) => `sha256:${createHash("sha256").update(token).digest("hex")}`;
    const webConfig = join(ws.dir, "web.yml");
    await writeFile(
      webConfig,
      `bearer_tokens:\n${Object.entries(tokens)
        .map(([name, token]) => `  ${name}: "${digest(token)}"`)
        .join("\n")}\n`,
    );
    const provers = join(ws.dir, "provers.yml");
    await writeFile(
      provers,
      [
        "provers:",
        "  - identity: node-a",
        "    hosts: [node-a]",
        "  - identity: node-b",
        "    hosts: [node-b]",
        `    gpus: [${GPU_B1}]`,
        "  - identity: node-c",
        "    hosts: [node-c]",
        "",
      ].join("\n"),
    );
    const gate = new GateChecker();
    gate.open();
    const web = { ...DEFAULT_WEB_FLAGS, configFile: webConfig };
    await mkdir(join(ws.dir, "spool"), { recursive: true });
    verifier = await start(ws, {
      checker: gate,
      web,
      proversFile: provers,
      spoolDir: ws.spool,
      spoolHost: "node-s",
      rescanMs: 200,
    });
    noProvers = await start(
      { circuits: ws.circuits, db: join(ws.dir, "no-provers.db") },
      { checker: gate, web },
    );
  });
  afterAll(async () => {
    await noProvers?.close();
    await verifier?.close();
    await ws?.cleanup();
  });

  const send = (url: string, as: string | null, gpu: { uuid: string; host: string }) =>
    postJson(
      `${url}/v1/proofs`,
      submission(proofs[next++] as ProofPair, { circuit: "multiplier", ...gpu }),
      as === null ? {} : { headers: { authorization: `Bearer ${tokens[as]}` } },
    );
  const gpus = async (url: string) =>
    (
      await getJson<{
        gpus: Array<{ uuid: string; host: string; counts: Record<string, number> }>;
      }>(`${url}/v1/gpus`)
    ).gpus;
  const forbidden = async (reason: string, source = "http") =>
    sampleValue(
      parseExposition(await (await fetch(`${verifier.url}/metrics`)).text()),
      "proofwatch_verifier_submissions_forbidden_total",
      { reason, source },
    );

  it("takes a proof for the caller's own host and records who sent it", async () => {
    const reply = await send(verifier.url, "node-a", { uuid: GPU_A, host: "node-a" });

    expect(reply.status).toBe(202);
    const v = await decided(verifier.url, reply.body.id);
    expect(v).toMatchObject({ result: "valid", uuid: GPU_A, submittedBy: "bearer:node-a" });
    const listed = await getJson<{ verdicts: Array<{ submittedBy: string }> }>(
      `${verifier.url}/v1/verdicts?gpu=${GPU_A}`,
    );
    expect(listed.verdicts.map((x) => x.submittedBy)).toEqual(["bearer:node-a"]);
  });

  it.each([
    [
      "another host",
      "node-a",
      { uuid: GPU_B1, host: "node-b" },
      "foreign_host",
      /may not speak for host "node-b"/,
    ],
    [
      "a GPU of another host, named as its own",
      "node-a",
      { uuid: GPU_B1, host: "node-a" },
      "foreign_gpu",
      /listed in --provers for host "node-b"/,
    ],
    [
      "a GPU its rule does not list",
      "node-b",
      { uuid: GPU_B2, host: "node-b" },
      "foreign_gpu",
      /not among identity "node-b"'s GPUs/,
    ],
    [
      "an identity --provers does not know",
      "stranger",
      { uuid: GPU_B1, host: "node-b" },
      "unknown_identity",
      /"stranger" is not in --provers/,
    ],
    [
      "a GPU recorded on another host",
      "node-c",
      { uuid: GPU_A, host: "node-c" },
      "foreign_gpu",
      /recorded on host "node-a"/,
    ],
  ])("403 for %s, nothing recorded against that GPU", async (_name, as, gpu, reason, message) => {
    const before = await gpus(verifier.url);
    const counted = (await forbidden(reason).catch(() => 0)) || 0;

    const reply = await send(verifier.url, as, gpu);

    expect(reply.status).toBe(403);
    expect(reply.body.error).toMatch(message);
    expect(await gpus(verifier.url)).toEqual(before);
    expect(await forbidden(reason)).toBe(counted + 1);
  });

  it("401 without credentials, from the web-security layer", async () => {
    expect((await send(verifier.url, null, { uuid: GPU_A, host: "node-a" })).status).toBe(401);
  });

  it("refuses every write with credentials but no --provers, saying so", async () => {
    const reply = await send(noProvers.url, "node-a", { uuid: GPU_A, host: "node-a" });

    expect(reply.status).toBe(403);
    expect(reply.body.error).toMatch(/no --provers file/);
    expect(await gpus(noProvers.url)).toEqual([]);
  });

  it("takes spool folders for its --spool-host only, recorded as spool:<dir>", async () => {
    const pair = proofs[next++] as ProofPair;
    const write = async (name: string, host: string, uuid: string) => {
      const tmp = join(ws.spool, `.${name}`);
      await mkdir(tmp);
      await writeFile(join(tmp, "proof.json"), JSON.stringify(pair.proof));
      await writeFile(join(tmp, "public.json"), JSON.stringify(pair.publicSignals));
      await writeFile(
        join(tmp, "meta.json"),
        JSON.stringify({ circuit: "multiplier", gpu: { uuid, host }, jobId: name }),
      );
      await rename(tmp, join(ws.spool, name));
    };
    await write("claims-node-b", "node-b", GPU_B2);
    await write("own-host", "node-s", "GPU-s");

    const reason = await until(
      () =>
        readFile(join(ws.spool, ".rejected/claims-node-b/reason.txt"), "utf8").catch(
          () => undefined,
        ),
      "the foreign folder rejected",
    );
    expect(reason).toMatch(
      /^meta\.json: names host "node-b"; this spool speaks for host "node-s" only/,
    );
    const taken = await until(async () => {
      const list = await getJson<{ verdicts: Array<{ id: number; submittedBy: string }> }>(
        `${verifier.url}/v1/verdicts?gpu=GPU-s`,
      );
      return list.verdicts[0];
    }, "the own-host folder's verdict");
    expect(taken.submittedBy).toBe(`spool:${ws.spool}`);
    expect((await gpus(verifier.url)).map((g) => g.uuid)).not.toContain(GPU_B2);
    expect(await forbidden("foreign_host", "spool")).toBe(1);
  });
});
