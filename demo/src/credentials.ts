// The suite's credentials, made afresh for every run (docs/security.md): nothing in the demo
// runs open. Each caller gets its own identity and a random token, and each service a web
// configuration file listing the identities it accepts, as sha256 of their tokens:
//
//   prover (named for its host)  -> verifier     POST /v1/proofs, only for its own host
//   scheduler (the job feeder)   -> prover       POST /v1/jobs
//   alertmanager                 -> quarantine   POST /v1/alertmanager
//   operator (a person)          -> the others   fault injection, releases, the audit log
//
// Reads (Prometheus' scrapes, the demo's table) stay open, as shipped.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

/** The services that run behind the web-security layer. */
export const WEB_SERVICES = ["exporter", "verifier", "quarantine", "prover"] as const;
export type WebService = (typeof WEB_SERVICES)[number];

export interface Credential {
  /** The identity the token proves (its name in the web configuration). */
  name: string;
  token: string;
  /** A file holding the token (mode 0600), for clients that read it from one. */
  file: string;
}

export interface SuiteCredentials {
  /** The prover service's identity toward the verifier, named for the host it proves on. */
  prover: Credential;
  /** Prover identities for other hosts (SuiteOptions.otherProverHosts), each named for its
   * host and bound to it alone: provers the suite does not run, for tests of attribution. */
  otherProvers: Credential[];
  /** The job feeder's (a rollup's scheduler) toward the prover service. */
  scheduler: Credential;
  /** Alertmanager's toward the quarantine webhook. */
  alertmanager: Credential;
  /** A person's, accepted by every service but the verifier (whose one write is a proof):
   * fault injection, releases, the audit log. */
  operator: Credential;
  /** Each service's --web.config.file. */
  webConfig: Record<WebService, string>;
  /** The verifier's --provers file: each prover identity and the hosts it may speak for. */
  proversFile: string;
  /** The folder holding all of it (mode 0700). */
  dir: string;
}

/** The Authorization header a credential is sent with. */
export function bearer(credential: Pick<Credential, "token">): { authorization: string } {
  return { authorization: `Bearer ${credential.token}` };
}

const sha256 = (token: string) => `sha256:${createHash("sha256").update(token).digest("hex")}`;

/**
 * Writes this run's tokens, web configuration files and provers file into `dir/credentials`.
 * `proverHost` is the host the suite's prover names in its submissions.
 */
export function writeSuiteCredentials(
  dir: string,
  proverHost: string,
  otherProverHosts: readonly string[] = [],
): SuiteCredentials {
  const folder = join(dir, "credentials");
  mkdirSync(folder, { mode: 0o700 });
  const write = (name: string, text: string) => {
    const file = join(folder, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const credential = (name: string, fileName: string): Credential => {
    const token = randomBytes(32).toString("hex");
    return { name, token, file: write(`${fileName}.token`, `${token}\n`) };
  };

  const prover = credential(proverHost, "prover");
  const otherProvers = otherProverHosts.map((host) => credential(host, `prover-${host}`));
  const scheduler = credential("scheduler", "scheduler");
  const alertmanager = credential("alertmanager", "alertmanager");
  const operator = credential("operator", "operator");

  const webConfig = (service: WebService, callers: Credential[]) =>
    write(
      `${service}.web.yml`,
      stringify({
        bearer_tokens: Object.fromEntries(callers.map((c) => [c.name, sha256(c.token)])),
      }),
    );
  return {
    prover,
    otherProvers,
    scheduler,
    alertmanager,
    operator,
    webConfig: {
      // No writes at all; the operator's token is there so that `read_access: authenticated`
      // is one line away.
      exporter: webConfig("exporter", [operator]),
      // Its one write is a proof submission: provers only, each bound to its host.
      verifier: webConfig("verifier", [prover, ...otherProvers]),
      quarantine: webConfig("quarantine", [alertmanager, operator]),
      prover: webConfig("prover", [scheduler, operator]),
    },
    proversFile: write("provers.yml", proversYaml([prover, ...otherProvers])),
    dir: folder,
  };
}

/** Each prover identity bound to the one host it is named for. */
function proversYaml(provers: Credential[]): string {
  return stringify({
    provers: Object.fromEntries(provers.map((p) => [p.name, { hosts: [p.name] }])),
  });
}
