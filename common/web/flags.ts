// The command-line flags every service takes for its web-security layer (security.ts), with
// the Prometheus exporters' names where they have one.
import { parseDuration } from "../duration.js";

export const WEB_FLAGS = {
  "web.config.file": { type: "string" },
  "insecure-no-auth": { type: "boolean", default: false },
  "web.read-header-timeout": { type: "string", default: "10s" },
  "web.read-timeout": { type: "string", default: "30s" },
} as const;

export const WEB_USAGE = `Web security (docs/security.md):
  --web.config.file FILE    TLS, client certificates, basic-auth users and bearer tokens, in
                            the Prometheus exporter-toolkit format; re-read when it changes
  --insecure-no-auth        let requests without credentials write (a laptop or a test only)
  --web.read-header-timeout DURATION
                            longest a client may take to send its headers (default 10s)
  --web.read-timeout DURATION
                            longest a client may take to send a whole request (default 30s)
`;

export interface WebFlags {
  configFile: string | undefined;
  insecureNoAuth: boolean;
  readHeaderTimeoutMs: number;
  readTimeoutMs: number;
}

/** The web flags' values out of parseArgs' result. */
export function webFlags(values: Record<string, unknown>): WebFlags {
  const readHeaderTimeoutMs = parseDuration(values["web.read-header-timeout"] as string);
  const readTimeoutMs = parseDuration(values["web.read-timeout"] as string);
  if (readHeaderTimeoutMs <= 0 || readHeaderTimeoutMs > readTimeoutMs) {
    throw new Error("--web.read-header-timeout must be above 0 and at most --web.read-timeout");
  }
  return {
    configFile: values["web.config.file"] as string | undefined,
    insecureNoAuth: values["insecure-no-auth"] === true,
    readHeaderTimeoutMs,
    readTimeoutMs,
  };
}

/** The flags' defaults: no file (every write refused), the default timeouts. */
export const DEFAULT_WEB_FLAGS: WebFlags = {
  configFile: undefined,
  insecureNoAuth: false,
  readHeaderTimeoutMs: 10_000,
  readTimeoutMs: 30_000,
};

/** For tests that are not about credentials: anonymous writes allowed. */
export const INSECURE_WEB_FLAGS: WebFlags = { ...DEFAULT_WEB_FLAGS, insecureNoAuth: true };
