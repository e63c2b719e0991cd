// What the prover service presents to the verifier with each delivery: a bearer token
// (--verifier-token-file), a CA to trust for an https verifier (--verifier-ca) and a client
// certificate for mutual TLS (--verifier-cert, --verifier-key).
//
// Each file is looked at (one stat) before every delivery and read again when it changed, as
// Prometheus does with `credentials_file`: a rotated token or certificate takes effect with the
// next proof, without a restart. A file that cannot be read, or is empty, once the service has
// started keeps the last good value (logged once): a file caught between removal and rewrite
// must not cost deliveries. At start every file must read.
//
// Node's global fetch cannot take a CA or a client certificate without the `undici` package
// (its Agent, as fetch's `dispatcher`), which this project does not install; node:https can.
import type { Stats } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Logger } from "../../../common/log.js";

export interface VerifierCredentialFiles {
  tokenFile: string | null;
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
}

/** What one delivery sends with: the Authorization header (if any) and the agent. */
export interface Presented {
  authorization: string | null;
  agent: HttpAgent;
}

// RFC 6750's b64token is narrower; any visible ASCII is let through so a verifier's own token
// format is not second-guessed here, but nothing a header cannot carry.
const TOKEN = /^[\x21-\x7e]+$/;

/** A file whose content is read again when its stat changes. */
class ChangingFile {
  private key = "";
  private content = Buffer.alloc(0);
  private lastError = "";

  constructor(
    readonly path: string,
    private readonly check: (content: Buffer) => string | null,
  ) {}

  /** The content last read that passed the check. */
  get value(): Buffer {
    return this.content;
  }

  /** Reads it now; throws (naming the file, never its content) when it is unusable. */
  async load(): Promise<void> {
    const problem = await this.read();
    if (problem) throw new Error(`${this.path}: ${problem}`);
  }

  /** Reads it again if it changed; true when the content is new. Keeps the last good one. */
  async refresh(log: Logger): Promise<boolean> {
    const before = this.content;
    const problem = await this.read();
    if (problem === null) {
      this.lastError = "";
      if (before.equals(this.content)) return false;
      log.info("verifier credentials file changed: used from now on", { file: this.path });
      return true;
    }
    if (problem !== this.lastError) {
      log.warn("verifier credentials file unusable; keeping the last good one", {
        file: this.path,
        error: problem,
      });
    }
    this.lastError = problem;
    return false;
  }

  /** Null when the content is usable (or unchanged), else why not. */
  private async read(): Promise<string | null> {
    try {
      const stats = await stat(this.path);
      const key = keyOf(stats);
      if (key === this.key) return null;
      const content = await readFile(this.path);
      const problem = this.check(content);
      if (problem) return problem;
      this.key = key;
      this.content = content;
      return null;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
  }
}

// A replaced file (a rename, a Kubernetes secret's symlink swap) has another inode; one
// written in place another mtime, ctime or size.
function keyOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

const tokenOf = (file: ChangingFile) => file.value.toString("utf8").trim();

function checkToken(content: Buffer): string | null {
  const token = content.toString("utf8").trim();
  if (token === "") return "the token file is empty";
  return TOKEN.test(token) ? null : "the token holds characters a header cannot carry";
}

const checkPem = (content: Buffer) =>
  content.toString("utf8").includes("-----BEGIN ") ? null : "not a PEM file";

export class VerifierCredentials {
  private agent: HttpAgent;
  private readonly token: ChangingFile | null;
  private readonly ca: ChangingFile | null;
  private readonly cert: ChangingFile | null;
  private readonly key: ChangingFile | null;

  private constructor(
    private readonly files: VerifierCredentialFiles,
    private readonly https: boolean,
    private readonly log: Logger,
  ) {
    this.token = files.tokenFile ? new ChangingFile(files.tokenFile, checkToken) : null;
    this.ca = files.caFile ? new ChangingFile(files.caFile, checkPem) : null;
    this.cert = files.certFile ? new ChangingFile(files.certFile, checkPem) : null;
    this.key = files.keyFile ? new ChangingFile(files.keyFile, checkPem) : null;
    this.agent = new HttpAgent();
  }

  /**
   * Reads every file once; throws when one is missing, empty or not PEM, or when the options
   * do not fit `url` (TLS options on an http URL, a certificate without its key).
   */
  static async load(
    files: VerifierCredentialFiles,
    url: string,
    log: Logger,
  ): Promise<VerifierCredentials> {
    const https = new URL(url).protocol === "https:";
    if ((files.caFile || files.certFile || files.keyFile) && !https) {
      throw new Error(
        "--verifier-ca, --verifier-cert and --verifier-key need an https:// --verifier URL",
      );
    }
    if ((files.certFile === null) !== (files.keyFile === null)) {
      throw new Error("--verifier-cert and --verifier-key go together");
    }
    const credentials = new VerifierCredentials(files, https, log);
    for (const file of credentials.all()) await file.load();
    credentials.agent = credentials.makeAgent();
    if (files.tokenFile && !https) {
      log.warn("the verifier token is sent over plain http: anyone on the path can read it", {
        url,
      });
    }
    return credentials;
  }

  /** The header and agent for the next delivery, any file that changed read again. */
  async present(): Promise<Presented> {
    await this.token?.refresh(this.log);
    let tlsChanged = false;
    for (const file of [this.ca, this.cert, this.key]) {
      if (file && (await file.refresh(this.log))) tlsChanged = true;
    }
    if (tlsChanged) {
      // Deliveries go one at a time, so the old agent has no request in flight.
      this.agent.destroy();
      this.agent = this.makeAgent();
    }
    return {
      authorization: this.token ? `Bearer ${tokenOf(this.token)}` : null,
      agent: this.agent,
    };
  }

  /** How the credentials are configured, for a log line (never their content). */
  describe(): string {
    const parts = [
      this.files.tokenFile ? `bearer token from ${this.files.tokenFile}` : null,
      this.files.caFile ? `CA ${this.files.caFile}` : null,
      this.files.certFile ? `client certificate ${this.files.certFile}` : null,
    ].filter((part) => part !== null);
    return parts.length > 0 ? parts.join(", ") : "none";
  }

  close(): void {
    this.agent.destroy();
  }

  private all(): ChangingFile[] {
    return [this.token, this.ca, this.cert, this.key].filter((file) => file !== null);
  }

  private makeAgent(): HttpAgent {
    if (!this.https) return new HttpAgent({ keepAlive: true });
    return new HttpsAgent({
      keepAlive: true,
      // `ca` replaces Node's default trust store (as Prometheus's `ca_file` does).
      ...(this.ca ? { ca: this.ca.value } : {}),
      ...(this.cert && this.key ? { cert: this.cert.value, key: this.key.value } : {}),
    });
  }
}
