// Basic auth and client certificates (mTLS), the two ways besides a bearer token that
// Alertmanager can prove itself to the webhook. Certificates are made by openssl per run.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
import { type KeyPair, makePki, type Pki, requestTls } from "../helpers/pki.js";
import {
  alert,
  payload,
  post,
  quarantineList,
  start,
  TOKEN,
  type Workspace,
  workspace,
} from "./helpers.js";

const BASIC = "alertmanager:basic-password-0123456789";
const basicHeader = (credentials: string) => `Basic ${Buffer.from(credentials).toString("base64")}`;

/** POSTs a webhook body over HTTPS, presenting `client` when given. */
async function postTls(
  url: string,
  pki: Pki,
  body: unknown,
  client?: KeyPair,
  headers: Record<string, string> = {},
): Promise<number> {
  return (await requestTls(url, pki, { body: JSON.stringify(body), client, headers })).status;
}

describe("basic auth", () => {
  let ws: Workspace;
  let service: RunningQuarantine;

  beforeAll(() => {
    ws = workspace();
    writeFileSync(join(ws.dir, "basic"), `${BASIC}\n`, { mode: 0o600 });
  });
  afterEach(async () => {
    await service.close();
  });
  afterAll(() => ws.remove());

  it("accepts the configured user and password and nothing else", async () => {
    service = await start(ws, { auth: { basicAuthFile: join(ws.dir, "basic") } });
    const hook = `${service.url}/v1/alertmanager`;
    const body = payload([alert({ uuid: "GPU-basic-1" })]);
    const refused = [
      {
        token: null,
        headers: { authorization: basicHeader("alertmanager:wrong-password-0123456") },
      },
      { token: null, headers: { authorization: basicHeader(`intruder:${BASIC.split(":")[1]}`) } },
      // A bearer token is not accepted when only basic auth is configured.
      { token: TOKEN },
      { token: null },
    ];
    for (const options of refused) expect((await post(hook, body, options)).status).toBe(401);
    expect((await quarantineList(service.url)).gpus).toEqual([]);

    const accepted = await post(hook, body, {
      token: null,
      headers: { authorization: basicHeader(BASIC) },
    });
    expect(accepted.status).toBe(200);
    expect((await quarantineList(service.url)).gpus.map((gpu) => gpu.uuid)).toEqual([
      "GPU-basic-1",
    ]);
  });

  it("takes either a token or basic auth when both are configured", async () => {
    service = await start(ws, {
      db: join(ws.dir, "both.db"),
      auth: { tokenFile: ws.tokenFile, basicAuthFile: join(ws.dir, "basic") },
    });
    const hook = `${service.url}/v1/alertmanager`;
    const byToken = await post(hook, payload([alert({ uuid: "GPU-basic-2" })]), { token: TOKEN });
    const byBasic = await post(hook, payload([alert({ uuid: "GPU-basic-3" })]), {
      token: null,
      headers: { authorization: basicHeader(BASIC) },
    });
    expect([byToken.status, byBasic.status]).toEqual([200, 200]);
  });

  it("refuses to start with a basic-auth file that is not user:password", async () => {
    writeFileSync(join(ws.dir, "bad-basic"), "no-colon-in-this-secret-at-all\n");
    await expect(start(ws, { auth: { basicAuthFile: join(ws.dir, "bad-basic") } })).rejects.toThrow(
      /must hold user:password/,
    );
    service = { close: async () => undefined } as RunningQuarantine;
  });
});

describe("client certificates (mTLS)", () => {
  let ws: Workspace;
  let pki: Pki;
  let service: RunningQuarantine;

  beforeAll(() => {
    ws = workspace();
    pki = makePki(ws.dir);
  });
  afterEach(async () => {
    await service.close();
  });
  afterAll(() => ws.remove());

  it("serves a client with a certificate from the CA, and no one else", async () => {
    service = await start(ws, { auth: { clientCa: pki.ca }, tls: pki.server });
    expect(service.url).toMatch(/^https:/);
    const hook = `${service.url}/v1/alertmanager`;
    const body = payload([alert({ uuid: "GPU-mtls-1" })]);

    // Without a certificate, or with one from another CA, the TLS handshake itself fails.
    await expect(postTls(hook, pki, body)).rejects.toThrow();
    await expect(postTls(hook, pki, body, pki.stranger)).rejects.toThrow();
    expect(await postTls(hook, pki, body, pki.client)).toBe(200);
    const list = readFileSync(ws.listFile, "utf8");
    expect(JSON.parse(list).gpus.map((gpu: { uuid: string }) => gpu.uuid)).toEqual(["GPU-mtls-1"]);
  });

  it("with a token as well, needs both the certificate and the token", async () => {
    service = await start(ws, {
      db: join(ws.dir, "mtls-token.db"),
      auth: { clientCa: pki.ca, tokenFile: ws.tokenFile },
      tls: pki.server,
    });
    const hook = `${service.url}/v1/alertmanager`;
    const body = payload([alert({ uuid: "GPU-mtls-2" })]);
    expect(await postTls(hook, pki, body, pki.client)).toBe(401);
    expect(await postTls(hook, pki, body, pki.client, { authorization: `Bearer ${TOKEN}` })).toBe(
      200,
    );
  });

  it("refuses --client-ca without TLS", async () => {
    await expect(start(ws, { auth: { clientCa: pki.ca } })).rejects.toThrow(/needs --tls-cert/);
    service = { close: async () => undefined } as RunningQuarantine;
  });
});
