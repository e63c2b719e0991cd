// The web configuration file, in the format of the Prometheus exporter-toolkit
// (docs/web-configuration.md there): tls_server_config, http_server_config and
// basic_auth_users, plus proofwatch's additions for machine clients (bearer_tokens) and for
// closing reads (read_access). Parsed strictly: an unknown key is a mistake, not a no-op.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { describeIssues } from "../schema.js";

export const CLIENT_AUTH_TYPES = [
  "NoClientCert",
  "RequestClientCert",
  "RequireAnyClientCert",
  "VerifyClientCertIfGiven",
  "RequireAndVerifyClientCert",
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS = {
  TLS10: "TLSv1",
  TLS11: "TLSv1.1",
  TLS12: "TLSv1.2",
  TLS13: "TLSv1.3",
} as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;

// Go's names (crypto/tls) for the TLS 1.2 suites an operator is likely to list, and OpenSSL's
// for the same suite; TLS 1.3 suites are not configurable in Go either.
const CIPHER_SUITES: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: "ECDHE-ECDSA-AES128-GCM-SHA256",
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: "ECDHE-RSA-AES128-GCM-SHA256",
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: "ECDHE-ECDSA-AES256-GCM-SHA384",
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: "ECDHE-RSA-AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: "ECDHE-ECDSA-AES128-SHA",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: "ECDHE-RSA-AES128-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: "ECDHE-ECDSA-AES256-SHA",
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: "ECDHE-RSA-AES256-SHA",
};
const CURVES: Record<string, string> = {
  CurveP256: "P-256",
  CurveP384: "P-384",
  CurveP521: "P-521",
  X25519: "X25519",
};

// The response headers exporter-toolkit lets an operator set, with the values it accepts.
const HEADERS = z
  .object({
    "Content-Security-Policy": z.string(),
    "X-Frame-Options": z.enum(["deny", "sameorigin"]),
    "X-Content-Type-Options": z.literal("nosniff"),
    "X-XSS-Protection": z.string(),
    "Strict-Transport-Security": z.string(),
  })
  .partial()
  .strict();

const BCRYPT = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;
const SHA256 = /^sha256:[0-9a-f]{64}$/;

const TlsServerConfig = z
  .object({
    cert: z.string().optional(),
    key: z.string().optional(),
    client_ca: z.string().optional(),
    cert_file: z.string().optional(),
    key_file: z.string().optional(),
    client_ca_file: z.string().optional(),
    client_auth_type: z.enum(CLIENT_AUTH_TYPES).default("NoClientCert"),
    client_allowed_sans: z.array(z.string()).optional(),
    min_version: z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName]).default("TLS12"),
    max_version: z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName]).default("TLS13"),
    cipher_suites: z.array(z.enum(Object.keys(CIPHER_SUITES) as [string])).optional(),
    prefer_server_cipher_suites: z.boolean().default(true),
    curve_preferences: z.array(z.enum(Object.keys(CURVES) as [string])).optional(),
  })
  .strict();

const WebConfigFile = z
  .object({
    tls_server_config: TlsServerConfig.optional(),
    http_server_config: z
      .object({
        // Accepted for exporter-toolkit files; proofwatch serves HTTP/1.1 only.
        http2: z.boolean().optional(),
        headers: HEADERS.optional(),
      })
      .strict()
      .optional(),
    basic_auth_users: z
      .record(
        z
          .string()
          .min(1)
          .regex(/^[^:]+$/, "a user name holds no colon"),
        z.string(),
      )
      .optional(),
    rate_limit: z
      .object({ interval: z.string(), burst: z.number().int().min(0) })
      .strict()
      .optional(),
    // proofwatch: machine clients. Each token's name is the identity it proves; the value is
    // "sha256:<hex>" of the token (tokens are long and random, so a fast hash is enough and
    // lets a request find its entry in one lookup) or a bcrypt hash.
    bearer_tokens: z.record(z.string().min(1), z.string()).optional(),
    // proofwatch: writes always need credentials; reads (GET /metrics, /healthz, the GET
    // APIs) are open unless this says "authenticated".
    read_access: z.enum(["open", "authenticated"]).default("open"),
  })
  .strict();

/** A stored secret: bcrypt (slow, for passwords) or a sha256 digest (for random tokens). */
export type StoredSecret = { kind: "bcrypt"; hash: string } | { kind: "sha256"; digest: Buffer };

export interface TlsSettings {
  cert: Buffer;
  key: Buffer;
  clientCa: Buffer | undefined;
  clientAuthType: ClientAuthType;
  clientAllowedSans: readonly string[] | undefined;
  minVersion: (typeof TLS_VERSIONS)[TlsVersionName];
  maxVersion: (typeof TLS_VERSIONS)[TlsVersionName];
  ciphers: string | undefined;
  honorCipherOrder: boolean;
  ecdhCurve: string | undefined;
}

export interface WebConfig {
  tls: TlsSettings | undefined;
  headers: Readonly<Record<string, string>>;
  basicUsers: ReadonlyMap<string, StoredSecret>;
  bearerTokens: ReadonlyMap<string, StoredSecret>;
  readAccess: "open" | "authenticated";
  rateLimit: { intervalMs: number; burst: number } | undefined;
  /** Every file the configuration was read from, watched for changes. */
  files: readonly string[];
}

export const EMPTY_WEB_CONFIG: WebConfig = {
  tls: undefined,
  headers: {},
  basicUsers: new Map(),
  bearerTokens: new Map(),
  readAccess: "open",
  rateLimit: undefined,
  files: [],
};

function storedSecret(value: string, where: string): StoredSecret {
  if (BCRYPT.test(value)) return { kind: "bcrypt", hash: value };
  if (SHA256.test(value)) return { kind: "sha256", digest: Buffer.from(value.slice(7), "hex") };
  throw new Error(`${where}: expected a bcrypt hash ($2y$10$...) or sha256:<64 hex digits>`);
}

/** Reads and checks a web configuration file; throws with the reason when it is unusable. */
export function loadWebConfig(file: string, parseDurationMs: (text: string) => number): WebConfig {
  const text = readFileSync(file, "utf8");
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new Error(`${file}: not YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = WebConfigFile.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${describeIssues(parsed.error)}`);
  const config = parsed.data;
  const files = [file];
  // Relative paths are relative to the configuration file, as exporter-toolkit reads them.
  const read = (path: string) => {
    const full = isAbsolute(path) ? path : resolve(dirname(file), path);
    files.push(full);
    return readFileSync(full);
  };

  const basicUsers = new Map<string, StoredSecret>();
  for (const [user, hash] of Object.entries(config.basic_auth_users ?? {})) {
    basicUsers.set(user, storedSecret(hash, `${file}: basic_auth_users.${user}`));
  }
  const bearerTokens = new Map<string, StoredSecret>();
  for (const [name, hash] of Object.entries(config.bearer_tokens ?? {})) {
    bearerTokens.set(name, storedSecret(hash, `${file}: bearer_tokens.${name}`));
  }

  return {
    tls: config.tls_server_config && tlsSettings(config.tls_server_config, file, read),
    headers: Object.fromEntries(
      Object.entries(config.http_server_config?.headers ?? {}).filter(([, v]) => v !== ""),
    ),
    basicUsers,
    bearerTokens,
    readAccess: config.read_access,
    rateLimit:
      config.rate_limit && parseDurationMs(config.rate_limit.interval) > 0
        ? {
            intervalMs: parseDurationMs(config.rate_limit.interval),
            burst: config.rate_limit.burst,
          }
        : undefined,
    files,
  };
}

function tlsSettings(
  tls: z.infer<typeof TlsServerConfig>,
  file: string,
  read: (path: string) => Buffer,
): TlsSettings {
  const pem = (inline: string | undefined, path: string | undefined, what: string) => {
    if (inline !== undefined && path !== undefined) {
      throw new Error(`${file}: give ${what} inline or as ${what}_file, not both`);
    }
    if (inline !== undefined) return Buffer.from(inline);
    return path === undefined ? undefined : read(path);
  };
  const cert = pem(tls.cert, tls.cert_file, "cert");
  const key = pem(tls.key, tls.key_file, "key");
  if (!cert || !key) throw new Error(`${file}: tls_server_config needs a certificate and a key`);
  const clientCa = pem(tls.client_ca, tls.client_ca_file, "client_ca");
  const verifies =
    tls.client_auth_type === "VerifyClientCertIfGiven" ||
    tls.client_auth_type === "RequireAndVerifyClientCert";
  if (verifies && !clientCa) {
    throw new Error(`${file}: client_auth_type ${tls.client_auth_type} needs client_ca_file`);
  }
  if (clientCa && !verifies) {
    throw new Error(
      `${file}: client_ca_file is set but client_auth_type ${tls.client_auth_type} verifies no certificate`,
    );
  }
  const certRequired =
    tls.client_auth_type === "RequireAnyClientCert" ||
    tls.client_auth_type === "RequireAndVerifyClientCert";
  if (tls.client_allowed_sans && !certRequired) {
    throw new Error(
      `${file}: client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert`,
    );
  }
  if (tls.min_version > tls.max_version) {
    throw new Error(`${file}: min_version ${tls.min_version} is above max_version`);
  }
  return {
    cert,
    key,
    clientCa,
    clientAuthType: tls.client_auth_type,
    clientAllowedSans: tls.client_allowed_sans,
    minVersion: TLS_VERSIONS[tls.min_version],
    maxVersion: TLS_VERSIONS[tls.max_version],
    ciphers: tls.cipher_suites?.map((name) => CIPHER_SUITES[name]).join(":"),
    honorCipherOrder: tls.prefer_server_cipher_suites,
    ecdhCurve: tls.curve_preferences?.map((name) => CURVES[name]).join(":"),
  };
}
