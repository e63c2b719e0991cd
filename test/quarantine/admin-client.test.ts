// The operator's side of the admin API: `proofwatch quarantine list|status|release` as an
// operator runs them (a child process), and what the service answers when its store is
// locked by someone else (503 with Retry-After, common/store-unavailable.ts).
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
import { spawnCli } from "../helpers/cli.js";
import {
  alert,
  events,
  payload,
  post,
  quarantineList,
  start,
  type Workspace,
  workspace,
} from "./helpers.js";

const UUID = "GPU-77777777-aaaa";

/** Runs `proofwatch quarantine ARGS` to its end. */
async function cli(...args: string[]): Promise<{ code: number | null; output: string }> {
  const run = spawnCli("quarantine", args);
  const { code } = await run.exited;
  return { code, output: run.output() };
}

describe("quarantine admin client", () => {
  let ws: Workspace;
  let service: RunningQuarantine;

  beforeAll(async () => {
    ws = workspace();
    service = await start(ws);
    const quarantined = await post(
      `${service.url}/v1/alertmanager`,
      payload([alert({ uuid: UUID })]),
    );
    expect(quarantined.status).toBe(200);
  });
  afterAll(async () => {
    await service.close();
    ws.remove();
  });

  it("lists and shows status through the CLI, and releases with the token file", async () => {
    const listed = await cli("list", "--url", service.url);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.output).gpus.map((g: { uuid: string }) => g.uuid)).toEqual([UUID]);

    const refused = await cli("status", "--url", service.url);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("status: HTTP 401");

    const released = await cli(
      ...["release", UUID, "--reason", "reseated the card"],
      ...["--url", service.url, "--token-file", ws.tokenFile],
    );
    expect(released.code).toBe(0);
    expect(JSON.parse(released.output.split("\n")[0] as string)).toMatchObject({
      status: "released",
    });
    expect((await quarantineList(service.url)).gpus).toEqual([]);
    const [entry] = await events(service.url, "release");
    expect(entry).toMatchObject({ uuid: UUID, detail: { reason: "reseated the card" } });
  });

  it("refuses a release without a reason before sending anything", async () => {
    const run = await cli("release", UUID, "--url", service.url, "--token-file", ws.tokenFile);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("release needs --reason");
  });

  it("answers 503 with Retry-After while another writer holds the store", async () => {
    const reset = `${service.url}/v1/breaker/reset`;
    const other = new Database(ws.db);
    other.exec("BEGIN EXCLUSIVE");
    try {
      // The service waits out its busy_timeout (5 s, common/sqlite.ts) before giving up.
      const reply = await post(reset, { reason: "storm investigated" });
      expect(reply.status).toBe(503);
      expect(reply.headers.get("retry-after")).toBe("5");
      expect(reply.body).toEqual({ status: "error", error: "store unavailable" });
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    // Nothing was left half done: the same request goes through once the lock is gone.
    expect((await post(reset, { reason: "storm investigated" })).status).toBe(200);
  });
});
