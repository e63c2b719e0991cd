// Alertmanager cannot sign bodies, so a caller proves itself with a bearer token, basic auth
// or a client certificate (checked by the TLS layer, see index.ts).
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";

export interface AuthOptions {
  /** File holding the bearer token (one line). */
  tokenFile?: string;
  /** File holding `user:password` (one line). */
  basicAuthFile?: string;
  /** Client certificates are required and verified against this CA by the TLS server. */
  clientCa?: string;
}

// Hashing first makes both sides the same length, so timingSafeEqual never throws and
// the comparison leaks neither content nor length.
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function readSecret(file: string, what: string): string {
  const value = readFileSync(file, "utf8").trim();
  if (value.length < 16) throw new Error(`${what} in ${file} is shorter than 16 characters`);
  return value;
}

export type Authenticator = (req: IncomingMessage) => boolean;

/**
 * Every configured method must pass. With a token and basic auth both configured, the
 * Authorization header may carry either (it holds only one).
 */
export function createAuthenticator(options: AuthOptions): Authenticator {
  const token = options.tokenFile ? readSecret(options.tokenFile, "token") : undefined;
  const basic = options.basicAuthFile
    ? readSecret(options.basicAuthFile, "user:password")
    : undefined;
  if (basic !== undefined && !basic.includes(":")) {
    throw new Error(`${options.basicAuthFile} must hold user:password`);
  }
  if (token === undefined && basic === undefined && !options.clientCa) {
    throw new Error(
      "refusing to start without authentication: give --token-file, --basic-auth-file or --client-ca",
    );
  }
  return (req) => {
    if (options.clientCa && !(req.socket as TLSSocket).authorized) return false;
    if (token === undefined && basic === undefined) return true;
    const header = req.headers.authorization ?? "";
    const space = header.indexOf(" ");
    const scheme = header.slice(0, space).toLowerCase();
    const credentials = header.slice(space + 1).trim();
    if (scheme === "bearer" && token !== undefined) return sameSecret(credentials, token);
    if (scheme === "basic" && basic !== undefined) {
      return sameSecret(Buffer.from(credentials, "base64").toString("utf8"), basic);
    }
    return false;
  };
}
