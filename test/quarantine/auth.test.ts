// Basic auth and client certificates (mTLS), the two ways besides a bearer token that
// Alertmanager can prove itself to the webhook. Certificates are made by openssl per run.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
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

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

interface Pki {
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
  /** A client certificate from a CA the service does not trust. */
  stranger: { cert: string; key: string };
}

/** A CA with a server certificate for 127.0.0.1 and a client certificate, and a stranger. */
function makePki(dir: string): Pki {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const makeCa = (name: string) =>
    openssl(
      dir,
      "req",
      "-x509",
      ...ec,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-subj",
      `/CN=${name}`,
      "-days",
      "2",
    );
  const makeLeaf = (name: string, ca: string, extensions: string) => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(
      dir,
      "req",
      ...ec,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${name}`,
    );
    openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  makeCa("ca");
  makeCa("other-ca");
  makeLeaf("server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  makeLeaf("client", "ca", "extendedKeyUsage=clientAuth\n");
  makeLeaf("stranger", "other-ca", "extendedKeyUsage=clientAuth\n");
  const pair = (name: string) => ({
    cert: join(dir, `${name}.crt`),
    key: join(dir, `${name}.key`),
  });
  return {
    ca: join(dir, "ca.crt"),
    server: pair("server"),
    client: pair("client"),
    stranger: pair("stranger"),
  };
}

/** POSTs a webhook body over HTTPS, presenting `client` when given. */
function postTls(
  url: string,
  pki: Pki,
  body: unknown,
  client?: { cert: string; key: string },
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        ca: readFileSync(pki.ca),
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
        headers: { "content-type": "application/json", ...headers },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
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
