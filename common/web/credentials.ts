// Checks the Authorization header against the configured users and tokens. bcrypt is slow on
// purpose (~70 ms at cost 10), so, as exporter-toolkit does, an outcome is cached for the
// exact credentials that produced it; the cache key is a digest, never the secret itself.
import { createHash, timingSafeEqual } from "node:crypto";
import bcrypt from "bcryptjs";
import type { StoredSecret, WebConfig } from "./config.js";
import type { Identity } from "./identity.js";

/** What a request's Authorization header proved: nothing given, a bad credential, or who. */
export type HeaderOutcome =
  | { kind: "none" }
  | { kind: "invalid" }
  | { kind: "identity"; identity: Identity };

const CACHE_SIZE = 1024;
// Compared against when a user is unknown, so that an unknown user costs what a known one
// does and the answer's timing does not tell which users exist.
const DUMMY_BCRYPT = "$2b$10$/h2zZWtjebyv4xo2Go3LHei6GqLOvxJkKhfFdG9tRskAehQgzaOlG";

const sha256 = (text: string) => createHash("sha256").update(text).digest();

async function matches(secret: StoredSecret, given: string): Promise<boolean> {
  if (secret.kind === "sha256") return timingSafeEqual(sha256(given), secret.digest);
  return bcrypt.compare(given, secret.hash);
}

export class CredentialChecker {
  private readonly cache = new Map<string, Promise<HeaderOutcome>>();
  private readonly tokensByDigest = new Map<string, string>();
  private readonly slowTokens: Array<[string, StoredSecret]> = [];

  constructor(private readonly config: WebConfig) {
    for (const [name, secret] of config.bearerTokens) {
      if (secret.kind === "sha256") this.tokensByDigest.set(secret.digest.toString("hex"), name);
      else this.slowTokens.push([name, secret]);
    }
  }

  /** Whether any header credential could ever pass. */
  get configured(): boolean {
    return this.config.basicUsers.size > 0 || this.config.bearerTokens.size > 0;
  }

  check(header: string | undefined): Promise<HeaderOutcome> {
    if (!header) return Promise.resolve({ kind: "none" });
    const key = sha256(header).toString("hex");
    let outcome = this.cache.get(key);
    if (!outcome) {
      outcome = this.checkUncached(header);
      if (this.cache.size >= CACHE_SIZE) {
        this.cache.delete(this.cache.keys().next().value as string);
      }
      this.cache.set(key, outcome);
    }
    return outcome;
  }

  private async checkUncached(header: string): Promise<HeaderOutcome> {
    const space = header.indexOf(" ");
    const scheme = header.slice(0, space).toLowerCase();
    const credentials = header.slice(space + 1).trim();
    if (space < 0 || credentials === "") return { kind: "invalid" };
    if (scheme === "bearer") return this.bearer(credentials);
    if (scheme === "basic") return this.basic(Buffer.from(credentials, "base64").toString("utf8"));
    return { kind: "invalid" };
  }

  private async bearer(token: string): Promise<HeaderOutcome> {
    let name = this.tokensByDigest.get(sha256(token).toString("hex"));
    for (const [candidate, secret] of this.slowTokens) {
      if (name !== undefined) break;
      if (await matches(secret, token)) name = candidate;
    }
    return name === undefined ? { kind: "invalid" } : identity("bearer", name);
  }

  private async basic(pair: string): Promise<HeaderOutcome> {
    const colon = pair.indexOf(":");
    if (colon < 0) return { kind: "invalid" };
    const user = pair.slice(0, colon);
    const secret = this.config.basicUsers.get(user);
    const ok = await matches(
      secret ?? { kind: "bcrypt", hash: DUMMY_BCRYPT },
      pair.slice(colon + 1),
    );
    return ok && secret ? identity("basic", user) : { kind: "invalid" };
  }
}

function identity(method: Identity["method"], name: string): HeaderOutcome {
  return { kind: "identity", identity: { method, name, names: [name] } };
}
