// The one web-security layer every proofwatch service runs behind: TLS and client
// certificates, credentials, response headers, a rate limit and bounded read times, from a
// web configuration file that is re-read when it (or a file it names) changes. A file that
// does not load is refused with a log line saying why, and the last good one stays in force.
//
// Writes (every method but GET and HEAD) need an identity, on every address, loopback
// included; a service started with --insecure-no-auth lets anonymous writes through.
// Reads are open unless the file says `read_access: authenticated`.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createServer as createHttpServer, type Server, type ServerOptions } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import type { Express, RequestHandler, Response } from "express";
import { parseDuration } from "../duration.js";
import { expressServerOptions } from "../http.js";
import type { Logger } from "../log.js";
import { certificateIdentity, connectionRefusal } from "./certificate.js";
import { EMPTY_WEB_CONFIG, loadWebConfig, type TlsSettings, type WebConfig } from "./config.js";
import { CredentialChecker } from "./credentials.js";
import type { Identity } from "./identity.js";

export type RefusalReason = "unauthenticated" | "bad_credentials" | "rate_limited";

/** The quarantine service's flags from before the web configuration file, still honoured. */
export interface LegacyAuth {
  /** A file holding one bearer token (16 characters or more); its identity is "token". */
  tokenFile?: string;
  /** A file holding `user:password`. */
  basicAuthFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Client certificates are required and verified against this CA. */
  clientCa?: string;
}

export interface WebSecurityOptions {
  /** The service's name, for log lines. */
  service: string;
  configFile: string | undefined;
  insecureNoAuth: boolean;
  readHeaderTimeoutMs: number;
  readTimeoutMs: number;
  legacy?: LegacyAuth;
  /** How often the configuration's files are checked for changes. */
  reloadIntervalMs?: number;
  /** False for a service that serves no writes (the exporter): no warning that they are refused. */
  servesWrites?: boolean;
  log: Logger;
  /** Counts each refusal (the service owns the metric). */
  onRefused?(reason: RefusalReason): void;
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);
const INSECURE: Identity = { method: "insecure", name: "anonymous", names: ["anonymous"] };
const REFUSAL_LOG_INTERVAL_MS = 10_000;
const CHALLENGE = 'Bearer realm="proofwatch", Basic realm="proofwatch"';

export class WebSecurity {
  private config: WebConfig;
  private checker: CredentialChecker;
  private signature: string;
  private readonly reloadTimer: NodeJS.Timeout;
  private readonly servers = new Set<Server>();
  private readonly refusalLog = new Map<RefusalReason, { at: number; suppressed: number }>();
  private bucket: { tokens: number; at: number } = { tokens: 0, at: 0 };
  // A connection's certificate identity, read once: Node rebuilds the peer certificate on
  // every getPeerCertificate() call (~60 us a request in the verifier, bench/verifier/README.md).
  // Emptied on reload, when the CA that verified it may have changed.
  private certificateIdentities = new WeakMap<TLSSocket, Identity | null>();

  constructor(private readonly options: WebSecurityOptions) {
    this.config = this.load();
    this.checker = new CredentialChecker(this.config);
    this.signature = this.fileSignature();
    this.resetBucket();
    if (options.insecureNoAuth) {
      options.log.warn("running with --insecure-no-auth: anyone who reaches it may write", {
        service: options.service,
      });
    } else if (
      options.servesWrites !== false &&
      !this.checker.configured &&
      !this.config.tls?.clientCa
    ) {
      options.log.warn(
        "no credentials configured: every write is refused; give --web.config.file (or --insecure-no-auth for a laptop)",
        { service: options.service },
      );
    }
    this.reloadTimer = setInterval(() => this.reloadIfChanged(), options.reloadIntervalMs ?? 1000);
    this.reloadTimer.unref();
  }

  get scheme(): "http" | "https" {
    return this.config.tls ? "https" : "http";
  }

  /** Runs first on every request: headers, rate limit, then who the caller is. */
  readonly middleware: RequestHandler = (req, res, next) => {
    for (const [name, value] of Object.entries(this.config.headers)) res.setHeader(name, value);
    if (!this.takeToken()) {
      res.setHeader(
        "retry-after",
        String(Math.ceil((this.config.rateLimit?.intervalMs ?? 0) / 1000)),
      );
      return this.refuse(res, 429, "rate_limited", req.path);
    }
    const write = !SAFE_METHODS.has(req.method);
    // Liveness stays open: an orchestrator's probe sends no credentials and learns only "ok".
    const needed = write || (this.config.readAccess === "authenticated" && req.path !== "/healthz");
    const tls = this.config.tls;
    this.checker.check(req.headers.authorization).then(
      (outcome) => {
        if (outcome.kind === "invalid") return this.refuse(res, 401, "bad_credentials", req.path);
        // Where users or tokens are configured, a request proves itself with one of them (a
        // client certificate then secures the connection, as in exporter-toolkit); where none
        // are, a verified client certificate is the identity.
        const identity =
          outcome.kind === "identity"
            ? outcome.identity
            : (!this.checker.configured &&
                tls &&
                this.connectionIdentity(req.socket as TLSSocket, tls)) ||
              (write && this.options.insecureNoAuth ? INSECURE : undefined);
        if (!identity && needed) return this.refuse(res, 401, "unauthenticated", req.path);
        if (identity) res.locals.identity = identity;
        next();
      },
      (error: unknown) => next(error),
    );
  };

  /** For a read that always needs an identity, whatever read_access says (audit logs). */
  readonly requireIdentity: RequestHandler = (req, res, next) => {
    if (res.locals.identity) return next();
    this.refuse(res, 401, "unauthenticated", req.path);
  };

  /** An HTTP or HTTPS server (as configured) for `app`, with bounded read times. */
  createServer(app: Express): Server {
    const options: ServerOptions = {
      ...expressServerOptions(app),
      headersTimeout: this.options.readHeaderTimeoutMs,
      requestTimeout: this.options.readTimeoutMs,
      // Node looks for expired requests this often (default 30 s, which would let a slow
      // client outlive a short timeout by that much).
      connectionsCheckingInterval: Math.max(
        100,
        Math.min(1000, this.options.readHeaderTimeoutMs / 4),
      ),
    };
    const tls = this.config.tls;
    if (!tls) {
      const server = createHttpServer(options, app);
      this.servers.add(server);
      return server;
    }
    const server = createHttpsServer(
      {
        ...options,
        ...secureContextOptions(tls),
        requestCert: tls.clientAuthType !== "NoClientCert",
        rejectUnauthorized: false,
      },
      app,
    );
    server.on("secureConnection", (socket: TLSSocket) => {
      // A connection keeps the certificate it was opened with (its identity is read once).
      socket.disableRenegotiation();
      const current = this.config.tls;
      const why = current && connectionRefusal(socket, current);
      if (!why) return;
      this.logRefusal("unauthenticated", { why, remote: socket.remoteAddress });
      this.options.onRefused?.("unauthenticated");
      socket.destroy();
    });
    this.servers.add(server);
    return server;
  }

  close(): void {
    clearInterval(this.reloadTimer);
  }

  /** Re-reads the configuration now if any of its files changed (the timer calls this). */
  reloadIfChanged(): void {
    const signature = this.fileSignature();
    if (signature === this.signature) return;
    this.signature = signature;
    let next: WebConfig;
    try {
      next = this.load();
      const before = this.config.tls;
      const after = next.tls;
      if (Boolean(before) !== Boolean(after)) {
        throw new Error("switching between HTTP and HTTPS needs a restart");
      }
      if (before && after && requestsCert(before) !== requestsCert(after)) {
        throw new Error("asking for client certificates or not needs a restart");
      }
    } catch (error) {
      this.options.log.error("web configuration refused; the last good one stays in force", {
        service: this.options.service,
        error: (error as Error).message,
      });
      return;
    }
    this.config = next;
    this.checker = new CredentialChecker(next);
    this.certificateIdentities = new WeakMap();
    this.resetBucket();
    if (next.tls) {
      for (const server of this.servers) {
        (server as unknown as { setSecureContext(o: object): void }).setSecureContext(
          secureContextOptions(next.tls),
        );
      }
    }
    this.options.log.info("web configuration reloaded", { service: this.options.service });
  }

  private load(): WebConfig {
    const fromFile = this.options.configFile
      ? loadWebConfig(this.options.configFile, parseDuration)
      : EMPTY_WEB_CONFIG;
    return withLegacy(fromFile, this.options.legacy ?? {});
  }

  private fileSignature(): string {
    const files = [
      ...(this.options.configFile ? [this.options.configFile] : []),
      ...this.config.files,
    ];
    return files
      .map((file) => {
        try {
          const s = statSync(file);
          return `${file}:${s.ino}:${s.size}:${s.mtimeMs}`;
        } catch {
          return `${file}:missing`;
        }
      })
      .join("|");
  }

  private connectionIdentity(socket: TLSSocket, tls: TlsSettings): Identity | undefined {
    let identity = this.certificateIdentities.get(socket);
    if (identity === undefined) {
      identity = certificateIdentity(socket, tls) ?? null;
      this.certificateIdentities.set(socket, identity);
    }
    return identity ?? undefined;
  }

  private resetBucket(): void {
    this.bucket = { tokens: this.config.rateLimit?.burst ?? 0, at: Date.now() };
  }

  // A token bucket, as exporter-toolkit's rate_limit: one token per interval, `burst` at most.
  private takeToken(): boolean {
    const limit = this.config.rateLimit;
    if (!limit) return true;
    const now = Date.now();
    const refill = Math.floor((now - this.bucket.at) / limit.intervalMs);
    if (refill > 0) {
      this.bucket.tokens = Math.min(Math.max(limit.burst, 1), this.bucket.tokens + refill);
      this.bucket.at += refill * limit.intervalMs;
    }
    if (this.bucket.tokens <= 0) return false;
    this.bucket.tokens -= 1;
    return true;
  }

  private refuse(res: Response, status: number, reason: RefusalReason, path: string): void {
    this.options.onRefused?.(reason);
    this.logRefusal(reason, { path, remote: res.req.socket.remoteAddress });
    if (status === 401) res.setHeader("www-authenticate", CHALLENGE);
    const error = {
      unauthenticated: "unauthorized: this request needs credentials",
      bad_credentials: "unauthorized: credentials not accepted",
      rate_limited: "too many requests",
    }[reason];
    res.status(status).json({ status: "error", error });
  }

  // At most one line per reason every 10 s, saying how many were not logged in between.
  private logRefusal(reason: RefusalReason, fields: Record<string, unknown>): void {
    const now = Date.now();
    const last = this.refusalLog.get(reason);
    if (last && now - last.at < REFUSAL_LOG_INTERVAL_MS) {
      last.suppressed += 1;
      return;
    }
    this.options.log.warn("request refused", {
      service: this.options.service,
      reason,
      ...fields,
      ...(last?.suppressed ? { suppressed: last.suppressed } : {}),
    });
    this.refusalLog.set(reason, { at: now, suppressed: 0 });
  }
}

function requestsCert(tls: TlsSettings): boolean {
  return tls.clientAuthType !== "NoClientCert";
}

function secureContextOptions(tls: TlsSettings) {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa ? { ca: tls.clientCa } : {}),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
    honorCipherOrder: tls.honorCipherOrder,
    ...(tls.ecdhCurve ? { ecdhCurve: tls.ecdhCurve } : {}),
  };
}

function readLegacySecret(file: string, what: string): string {
  const value = readFileSync(file, "utf8").trim();
  if (value.length < 16) throw new Error(`${what} in ${file} is shorter than 16 characters`);
  return value;
}

/** The configuration file's settings with the legacy flags' added (they may not conflict). */
function withLegacy(config: WebConfig, legacy: LegacyAuth): WebConfig {
  const digest = (text: string) => ({
    kind: "sha256" as const,
    digest: createHash("sha256").update(text).digest(),
  });
  const files = [...config.files];
  const bearerTokens = new Map(config.bearerTokens);
  const basicUsers = new Map(config.basicUsers);
  if (legacy.tokenFile) {
    bearerTokens.set("token", digest(readLegacySecret(legacy.tokenFile, "token")));
    files.push(legacy.tokenFile);
  }
  if (legacy.basicAuthFile) {
    const pair = readLegacySecret(legacy.basicAuthFile, "user:password");
    const colon = pair.indexOf(":");
    if (colon <= 0) throw new Error(`${legacy.basicAuthFile} must hold user:password`);
    basicUsers.set(pair.slice(0, colon), digest(pair.slice(colon + 1)));
    files.push(legacy.basicAuthFile);
  }
  let tls = config.tls;
  if (legacy.tlsCert || legacy.tlsKey || legacy.clientCa) {
    if (tls) throw new Error("give TLS in the web configuration file or as flags, not both");
    if (!legacy.tlsCert || !legacy.tlsKey) {
      throw new Error(
        legacy.clientCa
          ? "--client-ca needs --tls-cert and --tls-key"
          : "--tls-cert and --tls-key go together",
      );
    }
    tls = {
      cert: readFileSync(legacy.tlsCert),
      key: readFileSync(legacy.tlsKey),
      clientCa: legacy.clientCa ? readFileSync(legacy.clientCa) : undefined,
      clientAuthType: legacy.clientCa ? "RequireAndVerifyClientCert" : "NoClientCert",
      clientAllowedSans: undefined,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.3",
      ciphers: undefined,
      honorCipherOrder: true,
      ecdhCurve: undefined,
    };
    files.push(legacy.tlsCert, legacy.tlsKey, ...(legacy.clientCa ? [legacy.clientCa] : []));
  }
  return { ...config, tls, bearerTokens, basicUsers, files };
}
