import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
import {
  alert,
  auditLog,
  events,
  payload,
  post,
  quarantineList,
  scrape,
  start,
  TOKEN,
  type Workspace,
  workspace,
} from "./helpers.js";

describe("POST /v1/alertmanager: forged and broken requests have no effect", () => {
  let ws: Workspace;
  let service: RunningQuarantine;
  let hook: string;

  beforeAll(async () => {
    ws = workspace();
    service = await start(ws);
    hook = `${service.url}/v1/alertmanager`;
  });
  afterAll(async () => {
    await service.close();
    ws.remove();
  });

  const good = () => payload([alert({ uuid: "GPU-11111111-aaaa" })]);

  async function expectNoEffect(): Promise<void> {
    expect((await quarantineList(service.url)).gpus).toEqual([]);
    expect(JSON.parse(readFileSync(ws.listFile, "utf8")).gpus).toEqual([]);
    expect(await auditLog(service.url)).toEqual([]);
  }

  it.each([
    ["no Authorization header", null],
    ["a wrong token", "wrong-token-0123456789abcdef"],
    ["the token with one character changed", `${TOKEN.slice(0, -1)}X`],
  ])("answers 401 to %s", async (_what, token) => {
    const response = await post(hook, good(), { token });
    expect(response.status).toBe(401);
    await expectNoEffect();
  });

  it("answers 401 to basic auth when only a token is configured", async () => {
    const basic = Buffer.from(`user:${TOKEN}`).toString("base64");
    const response = await post(hook, good(), {
      token: null,
      headers: { authorization: `Basic ${basic}` },
    });
    expect(response.status).toBe(401);
    await expectNoEffect();
  });

  it.each([
    ["a body that is not JSON", { raw: "{not json" }],
    ["an empty body", { raw: "" }],
    ["version 3", { body: { ...good(), version: "3" } }],
    ["no alerts array", { body: { ...good(), alerts: undefined } }],
    ["an alert without status", { body: payload([{ ...alert(), status: undefined } as never]) }],
    ["a startsAt that is not a time", { body: payload([{ ...alert(), startsAt: "yesterday" }]) }],
    ["a quarantine alert without uuid", { body: payload([alert({ uuid: "" })]) }],
    [
      "a uuid that could reach a shell or scontrol",
      { body: payload([alert({ uuid: "GPU-1 State=RESUME" })]) },
    ],
    ["no host and no instance label", { body: payload([alert({ labels: { instance: "" } })]) }],
    [
      "one bad alert after a good one",
      { body: payload([alert({ uuid: "GPU-22222222-bbbb" }), alert({ uuid: "" })]) },
    ],
  ])("answers 400 to %s", async (_what, request) => {
    const response = await post(
      hook,
      "body" in request ? request.body : undefined,
      "raw" in request ? { raw: request.raw } : {},
    );
    expect(response.status).toBe(400);
    expect(response.body.status).toBe("error");
    await expectNoEffect();
  });

  it("answers 413 to a body over 1 MiB", async () => {
    const big = payload([alert({ uuid: "GPU-33333333-cccc" })]);
    const padded = { ...big, commonAnnotations: { padding: "x".repeat(1024 * 1024) } };
    const response = await post(hook, padded);
    expect(response.status).toBe(413);
    await expectNoEffect();
  });

  it("counts refused requests by result", async () => {
    const text = await scrape(service.url);
    expect(text).toMatch(/proofwatch_quarantine_requests_total\{result="unauthorized"\} 4/);
    expect(text).toMatch(/proofwatch_quarantine_requests_total\{result="bad_request"\} 10/);
    expect(text).toMatch(/proofwatch_quarantine_requests_total\{result="too_large"\} 1/);
    expect(text).toMatch(/proofwatch_quarantine_gpus 0/);
  });

  it("ignores alerts without the quarantine label and acts on the one that has it", async () => {
    const other = alert({ uuid: "GPU-44444444-dddd", labels: { proofwatch_action: "page" } });
    const response = await post(hook, payload([other, alert({ uuid: "GPU-55555555-eeee" })]));
    expect(response.status).toBe(200);
    expect(response.body.ignored).toBe(1);
    const list = await quarantineList(service.url);
    expect(list.gpus.map((g) => g.uuid)).toEqual(["GPU-55555555-eeee"]);
    // `host` comes from the instance label's host part.
    expect(list.gpus[0]?.host).toBe("node-1.example");
    expect(JSON.parse(readFileSync(ws.listFile, "utf8")).gpus).toEqual(list.gpus);
  });

  it("prefers the host label over the instance label", async () => {
    const response = await post(
      hook,
      payload([alert({ uuid: "GPU-66666666-ffff", host: "gpu-box-7", instance: "10.0.0.7:9840" })]),
    );
    expect(response.status).toBe(200);
    const list = await quarantineList(service.url);
    expect(list.gpus.find((g) => g.uuid === "GPU-66666666-ffff")?.host).toBe("gpu-box-7");
  });

  it("records a resolution, keeps the GPU out, and ignores a late firing for that episode", async () => {
    const firing = alert({ uuid: "GPU-55555555-eeee" });
    const resolved = { ...firing, status: "resolved" as const, endsAt: "2025-03-01T11:00:00Z" };
    expect((await post(hook, payload([resolved]))).body.results).toMatchObject([
      { outcome: "resolved" },
    ]);
    expect((await post(hook, payload([firing]))).body.results).toMatchObject([
      { outcome: "stale" },
    ]);
    expect((await events(service.url, "stale_firing")).length).toBe(1);
    const list = await quarantineList(service.url);
    expect(list.gpus.map((g) => g.uuid)).toContain("GPU-55555555-eeee");
    // A new episode of the same alert (new startsAt) is a new instance, already held.
    const again = alert({ uuid: "GPU-55555555-eeee", startsAt: "2025-03-02T10:00:00Z" });
    expect((await post(hook, payload([again]))).body.results).toMatchObject([
      { outcome: "already_quarantined" },
    ]);
    expect((await events(service.url, "quarantine")).length).toBe(2);
  });

  it("releases manually with a reason, audited, and only once", async () => {
    const release = `${service.url}/v1/quarantine/GPU-55555555-eeee/release`;
    expect((await post(release, { reason: "x" })).status).toBe(400);
    expect((await post(release, { reason: "reseated the card" }, { token: null })).status).toBe(
      401,
    );
    const first = await post(release, { reason: "reseated the card" });
    expect(first).toMatchObject({ status: 200, body: { status: "released" } });
    const second = await post(release, { reason: "reseated the card" });
    expect(second).toMatchObject({ status: 200, body: { status: "not_quarantined" } });
    const list = await quarantineList(service.url);
    expect(list.gpus.map((g) => g.uuid)).not.toContain("GPU-55555555-eeee");
    expect(JSON.parse(readFileSync(ws.listFile, "utf8")).gpus).toEqual(list.gpus);
    const [entry] = await events(service.url, "release");
    expect(entry).toMatchObject({
      actor: "api",
      uuid: "GPU-55555555-eeee",
      detail: { reason: "reseated the card", mode: "manual" },
    });
  });
});
