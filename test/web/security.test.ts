// The web-security layer every service runs behind (common/web/), on a small express app:
// real HTTP and TLS (certificates made per run by openssl), real bcrypt hashes, and the web
// configuration file re-read while the server runs.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import express from "express";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeServer, listen, urlOf } from "../../common/listen.js";
import type { Logger } from "../../common/log.js";
import {
  identityOf,
  type RefusalReason,
  WebSecurity,
  type WebSecurityOptions,
} from "../../common/web/index.js";
import { makePki, type Pki, requestTls } from "../helpers/pki.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { until } from "../helpers/until.js";

const PASSWORD = "prometheus-password-0123";
const TOKEN = "node-a-token-0123456789abcdef";
const sha256 = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

interface Harness {
  url: string;
  writes: number;
  refusals: RefusalReason[];
  logs: string[];
  security: WebSecurity;
  close(): Promise<void>;
}

function collectingLogger(lines: string[]): Logger {
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

async function serve(options: Partial<WebSecurityOptions>): Promise<Harness> {
  const logs: string[] = [];
  const refusals: RefusalReason[] = [];
  const security = new WebSecurity({
    service: "test",
    configFile: undefined,
    insecureNoAuth: false,
    readHeaderTimeoutMs: 10_000,
    readTimeoutMs: 30_000,
    reloadIntervalMs: 100,
    log: collectingLogger(logs),
    onRefused: (reason) => refusals.push(reason),
    ...options,
  });
  const harness = { writes: 0 } as Harness;
  const app = express();
  app.use(security.middleware);
  app.get("/healthz", (_req, res) => {
    res.send("ok\n");
  });
  app.get("/data", (_req, res) => {
    res.json({ identity: identityOf(res.locals) ?? null });
  });
  app.post("/write", (_req, res) => {
    harness.writes += 1;
    res.json({ identity: identityOf(res.locals) ?? null });
  });
  const server = security.createServer(app);
  const address = await listen(server, { host: "127.0.0.1", port: 0 });
  return Object.assign(harness, {
    url: urlOf(address).replace(/^http:/, `${security.scheme}:`),
    refusals,
    logs,
    security,
    close: async () => {
      security.close();
      await closeServer(server);
    },
  });
}

async function call(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  const text = await response.text();
  const json = response.headers.get("content-type")?.includes("json");
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : {} };
}

describe("credentials over HTTP", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let harness: Harness;
  let config: string;
  let passwordHash: string;

  beforeAll(async () => {
    dir = await makeTempDir("web");
    config = join(dir.dir, "web.yml");
    passwordHash = await bcrypt.hash(PASSWORD, 10);
  });
  afterEach(() => harness?.close());
  afterAll(() => dir.cleanup());

  it("with nothing configured, refuses every write (loopback included) and serves reads", async () => {
    harness = await serve({});
    const write = await call(`${harness.url}/write`, { method: "POST", body: "{}" });
    expect(write.status).toBe(401);
    expect(write.headers.get("www-authenticate")).toMatch(/Bearer/);
    expect(harness.writes).toBe(0);
    expect((await call(`${harness.url}/data`)).status).toBe(200);
    expect(harness.refusals).toEqual(["unauthenticated"]);
    expect(harness.logs.some((line) => line.includes("every write is refused"))).toBe(true);
  });

  it("with --insecure-no-auth lets anonymous writes through, with a warning, but not bad credentials", async () => {
    harness = await serve({ insecureNoAuth: true });
    const write = await call(`${harness.url}/write`, { method: "POST" });
    expect(write.status).toBe(200);
    expect(write.body.identity).toMatchObject({ method: "insecure" });
    const wrong = await call(`${harness.url}/write`, {
      method: "POST",
      headers: { authorization: "Bearer not-a-configured-token" },
    });
    expect(wrong.status).toBe(401);
    expect(harness.writes).toBe(1);
    expect(harness.logs.some((line) => line.startsWith("warn") && line.includes("insecure"))).toBe(
      true,
    );
  });

  it("names the caller by its basic-auth user (bcrypt) or bearer token (sha256 or bcrypt)", async () => {
    writeFileSync(
      config,
      [
        "basic_auth_users:",
        `  prometheus: ${passwordHash}`,
        "bearer_tokens:",
        `  node-a: ${sha256(TOKEN)}`,
        `  node-b: ${await bcrypt.hash("node-b-token-0123456789", 10)}`,
      ].join("\n"),
    );
    harness = await serve({ configFile: config });
    const as = (authorization: string) =>
      call(`${harness.url}/write`, { method: "POST", headers: { authorization } });

    expect((await as(basic("prometheus", PASSWORD))).body.identity).toEqual({
      method: "basic",
      name: "prometheus",
      names: ["prometheus"],
    });
    expect((await as(`Bearer ${TOKEN}`)).body.identity).toMatchObject({ name: "node-a" });
    expect((await as("Bearer node-b-token-0123456789")).body.identity).toMatchObject({
      method: "bearer",
      name: "node-b",
    });
    for (const bad of [
      basic("prometheus", "wrong-password"),
      basic("intruder", PASSWORD),
      `Bearer ${TOKEN}x`,
      `Token ${TOKEN}`,
    ]) {
      expect((await as(bad)).status).toBe(401);
    }
    expect(harness.writes).toBe(3);
    expect(harness.refusals.filter((r) => r === "bad_credentials")).toHaveLength(4);
  });

  it("closes reads when the file says so, all but the liveness probe, and sets its headers", async () => {
    writeFileSync(
      config,
      [
        "read_access: authenticated",
        `bearer_tokens: { node-a: "${sha256(TOKEN)}" }`,
        "http_server_config:",
        "  headers:",
        "    X-Frame-Options: deny",
        "    X-Content-Type-Options: nosniff",
      ].join("\n"),
    );
    harness = await serve({ configFile: config });
    const open = await call(`${harness.url}/data`);
    expect(open.status).toBe(401);
    expect(open.headers.get("x-frame-options")).toBe("deny");
    expect((await call(`${harness.url}/healthz`)).status).toBe(200);
    const read = await call(`${harness.url}/data`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("takes a changed file without a restart, and keeps the last good one when a change is bad", async () => {
    writeFileSync(config, `bearer_tokens: { node-a: "${sha256(TOKEN)}" }\n`);
    harness = await serve({ configFile: config });
    const write = (authorization: string) =>
      call(`${harness.url}/write`, { method: "POST", headers: { authorization } });
    expect((await write(basic("prometheus", PASSWORD))).status).toBe(401);

    writeFileSync(config, `basic_auth_users: { prometheus: "${passwordHash}" }\n`);
    await until(
      async () => ((await write(basic("prometheus", PASSWORD))).status === 200 ? true : undefined),
      "the new user to be accepted",
      10_000,
    );
    expect((await write(`Bearer ${TOKEN}`)).status).toBe(401);

    writeFileSync(config, "basic_auth_users: { prometheus: not-a-bcrypt-hash }\n");
    await until(
      () => (harness.logs.some((l) => l.includes("web configuration refused")) ? true : undefined),
      "the bad file to be refused",
      10_000,
    );
    expect(harness.logs.find((l) => l.includes("web configuration refused"))).toMatch(
      /basic_auth_users\.prometheus: expected a bcrypt hash/,
    );
    expect((await write(basic("prometheus", PASSWORD))).status).toBe(200);
  });

  it("refuses a bad file at start with the reason", () => {
    const refused = (text: string, reason: RegExp) => {
      writeFileSync(config, text);
      expect(() => new WebSecurity({ ...baseOptions(), configFile: config })).toThrow(reason);
    };
    refused("basic_auth_user: {}\n", /Unrecognized key.*basic_auth_user/);
    refused("tls_server_config: { cert_file: x.crt }\n", /no such file|ENOENT/);
    refused(": [\n", /not YAML/);
    refused("tls_server_config: { client_auth_type: Sometimes }\n", /client_auth_type/);
  });

  it("rate-limits as a token bucket when asked", async () => {
    writeFileSync(config, "rate_limit: { interval: 1m, burst: 2 }\n");
    harness = await serve({ configFile: config });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await call(`${harness.url}/data`)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("cuts off a client that sends its headers too slowly", async () => {
    harness = await serve({ readHeaderTimeoutMs: 300, readTimeoutMs: 1000 });
    const { port } = new URL(harness.url);
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write("POST /write HTTP/1.1\r\nHost: x\r\n");
        // One more header byte now and then, never the end of the headers.
        const drip = setInterval(() => socket.write("X"), 100);
        socket.on("close", () => {
          clearInterval(drip);
          resolve(Date.now() - started);
        });
      });
      socket.on("error", () => undefined);
    });
    expect(closedAfter).toBeLessThan(5000);
    expect(harness.writes).toBe(0);
  });
});

function baseOptions(): WebSecurityOptions {
  return {
    service: "test",
    configFile: undefined,
    insecureNoAuth: false,
    readHeaderTimeoutMs: 10_000,
    readTimeoutMs: 30_000,
    log: collectingLogger([]),
  };
}

describe("TLS and client certificates", () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let pki: Pki;
  let harness: Harness;
  let config: string;

  beforeAll(async () => {
    dir = await makeTempDir("web-tls");
    pki = makePki(dir.dir, ["node-a"]);
    config = join(dir.dir, "web.yml");
  });
  afterEach(() => harness?.close());
  afterAll(() => dir.cleanup());

  const tlsConfig = (extra: string[] = []) =>
    [
      "tls_server_config:",
      `  cert_file: ${pki.server.cert}`,
      `  key_file: ${pki.server.key}`,
      "  client_auth_type: RequireAndVerifyClientCert",
      `  client_ca_file: ${pki.ca}`,
      ...extra,
    ].join("\n");

  it("names the caller by its verified certificate's CN and SANs; refuses no or a stranger's certificate", async () => {
    writeFileSync(config, tlsConfig());
    harness = await serve({ configFile: config });
    expect(harness.url).toMatch(/^https:/);
    const write = (client?: (typeof pki)["client"]) =>
      requestTls(`${harness.url}/write`, pki, { body: "{}", client });

    await expect(write()).rejects.toThrow();
    await expect(write(pki.stranger)).rejects.toThrow();
    const reply = await write(pki.clients["node-a"]);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).identity).toEqual({
      method: "certificate",
      name: "node-a",
      names: ["node-a"],
    });
    expect(harness.writes).toBe(1);
  });

  it("with tokens configured as well, needs the token besides the certificate", async () => {
    writeFileSync(config, `${tlsConfig()}\nbearer_tokens: { node-a: "${sha256(TOKEN)}" }\n`);
    harness = await serve({ configFile: config });
    const client = pki.clients["node-a"];
    expect((await requestTls(`${harness.url}/write`, pki, { body: "{}", client })).status).toBe(
      401,
    );
    const withToken = await requestTls(`${harness.url}/write`, pki, {
      body: "{}",
      client,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(JSON.parse(withToken.body).identity).toMatchObject({ method: "bearer", name: "node-a" });
  });

  it("closes connections whose certificate has none of client_allowed_sans, and reloads the list", async () => {
    writeFileSync(config, tlsConfig(["  client_allowed_sans: [client]"]));
    harness = await serve({ configFile: config });
    await expect(
      requestTls(`${harness.url}/data`, pki, { client: pki.clients["node-a"] }),
    ).rejects.toThrow();
    expect((await requestTls(`${harness.url}/data`, pki, { client: pki.client })).status).toBe(200);

    writeFileSync(config, tlsConfig(["  client_allowed_sans: [node-a]"]));
    await until(
      async () => {
        const reply = await requestTls(`${harness.url}/data`, pki, {
          client: pki.clients["node-a"],
        }).catch(() => undefined);
        return reply?.status === 200 ? true : undefined;
      },
      "node-a to be allowed",
      10_000,
    );
  });

  it("refuses a reload that would switch HTTPS off, and keeps serving HTTPS", async () => {
    writeFileSync(config, tlsConfig());
    harness = await serve({ configFile: config });
    writeFileSync(config, `bearer_tokens: { node-a: "${sha256(TOKEN)}" }\n`);
    await until(
      () => (harness.logs.some((l) => l.includes("needs a restart")) ? true : undefined),
      "the reload to be refused",
      10_000,
    );
    expect((await requestTls(`${harness.url}/data`, pki, { client: pki.client })).status).toBe(200);
  });
});
