// SIGKILL between committing an intent and acting on it: the restarted service finishes
// the action, once. The service runs as a child through the real CLI.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNATURE_HEADER, sign, TIMESTAMP_HEADER } from "../../quarantine/src/actions/webhook.js";
import { CRASH_AFTER_INTENT_ENV } from "../../quarantine/src/service.js";
import { spawnCli, untilHealthy } from "../helpers/cli.js";
import {
  alert,
  events,
  freePort,
  payload,
  post,
  receiver,
  type Workspace,
  workspace,
} from "./helpers.js";

const SECRET = "webhook-secret-0123456789abcdef";

describe("a crash between intent and action", () => {
  let ws: Workspace;
  let hookReceiver: Awaited<ReturnType<typeof receiver>>;
  let args: string[];
  let url: string;
  const stops: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    ws = workspace();
    hookReceiver = await receiver();
    const secretFile = join(ws.dir, "webhook-secret");
    writeFileSync(secretFile, SECRET);
    const config = join(ws.dir, "config.json");
    writeFileSync(
      config,
      JSON.stringify({
        actions: { file: { path: ws.listFile }, webhook: { url: hookReceiver.url, secretFile } },
      }),
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    args = [
      "--listen",
      `127.0.0.1:${port}`,
      "--db",
      ws.db,
      "--token-file",
      ws.tokenFile,
      "--config",
      config,
      "--fleet-size",
      "8",
    ];
  });
  afterAll(async () => {
    for (const stop of stops) await stop();
    await hookReceiver.close();
    ws.remove();
  });

  it("finishes the action on restart, with one effect", async () => {
    const uuid = "GPU-deadbeef-0000-crash";
    const body = payload([alert({ uuid })]);

    // Arrange: a service that dies right after the intent commits.
    const doomed = spawnCli("quarantine", args, { [CRASH_AFTER_INTENT_ENV]: "1" });
    stops.push(async () => doomed.child.kill("SIGKILL"));
    await untilHealthy(doomed, url);

    // Act: Alertmanager's request; the connection dies with the process.
    await expect(post(`${url}/v1/alertmanager`, body)).rejects.toThrow();
    expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });

    // The intent is on disk, nothing was done.
    const db = new Database(ws.db, { readonly: true });
    const rows = db.prepare("SELECT action, state FROM outbox ORDER BY id").all();
    db.close();
    expect(rows).toEqual([
      { action: "file", state: "pending" },
      { action: "webhook", state: "pending" },
    ]);
    expect(hookReceiver.received).toHaveLength(0);
    expect(JSON.parse(readFileSync(ws.listFile, "utf8")).gpus).toEqual([]);

    // Restart without the hook: start-up carries the intents out.
    const revived = spawnCli("quarantine", args);
    stops.push(async () => {
      revived.child.kill("SIGTERM");
      await revived.exited;
    });
    await untilHealthy(revived, url);
    expect(
      JSON.parse(readFileSync(ws.listFile, "utf8")).gpus.map((g: { uuid: string }) => g.uuid),
    ).toEqual([uuid]);
    expect(hookReceiver.received).toHaveLength(1);

    // The operator's endpoint got a signed, replay-safe notification.
    const [sent] = hookReceiver.received;
    const timestamp = String(sent?.headers[TIMESTAMP_HEADER]);
    expect(sent?.headers[SIGNATURE_HEADER]).toBe(sign(SECRET, timestamp, sent?.body ?? ""));
    expect(JSON.parse(sent?.body ?? "{}")).toMatchObject({ event: "apply", scope: "gpu", uuid });
    expect(sent?.headers["idempotency-key"]).toBeTruthy();

    // Alertmanager's retry of the lost request changes nothing more.
    const retry = await post(`${url}/v1/alertmanager`, body);
    expect(retry.status).toBe(200);
    expect(retry.body.results).toMatchObject([{ outcome: "duplicate" }]);
    expect(hookReceiver.received).toHaveLength(1);
    expect((await events(url, "quarantine")).length).toBe(1);
  });
});
