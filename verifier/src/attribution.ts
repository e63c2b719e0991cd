// Who may speak for which GPU. A submission names a GPU and its host; that is a claim, and the
// verifier records it against the GPU only when the caller is bound to that host (and GPU) by
// the --provers file, or when it comes from a spool folder configured for that host. See
// docs/verifier.md, "Credentials and attribution".
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { describeIssues } from "../../common/schema.js";
import type { Identity } from "../../common/web/identity.js";

// As schema.ts takes GPU uuids and host names: printable ASCII without spaces.
const TOKEN = /^[\x21-\x7e]+$/;
const Host = z.string().min(1).max(253).regex(TOKEN, "a host name: printable ASCII, no spaces");
const Uuid = z.string().min(1).max(128).regex(TOKEN, "a GPU uuid: printable ASCII, no spaces");
const Binding = z
  .object({
    hosts: z.array(Host).min(1),
    /** Absent: any GPU on those hosts. */
    gpus: z.array(Uuid).min(1).optional(),
  })
  .strict();

/** `--provers FILE`: a list of {identity, hosts, gpus?}; also taken as a map keyed by identity. */
const ProversList = z
  .object({
    provers: z.array(Binding.extend({ identity: z.string().min(1).max(256) }).strict()),
  })
  .strict();
const ProversMap = z.object({ provers: z.record(z.string().min(1).max(256), Binding) }).strict();

export interface ProverRule {
  identity: string;
  hosts: readonly string[];
  gpus?: readonly string[] | undefined;
}

/** What a submission claims: the GPU that made the proof and the host it is on. */
export interface Claim {
  host: string;
  uuid: string;
}

/** Label values of `proofwatch_verifier_submissions_forbidden_total{reason}`. */
export type ForbiddenReason =
  | "unauthenticated"
  | "no_provers"
  | "unknown_identity"
  | "foreign_host"
  | "foreign_gpu";

export type Authorization = { ok: true } | { ok: false; reason: ForbiddenReason; message: string };

const OK: Authorization = { ok: true };
const deny = (reason: ForbiddenReason, message: string): Authorization => ({
  ok: false,
  reason,
  message,
});
const list = (values: readonly string[]) => values.map((v) => `"${v}"`).join(", ");

/** Parses the text of a --provers file; throws with a message that names the problem. */
export function parseProvers(text: string): ProverRule[] {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new Error(`not YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  // One schema or the other by the shape, so that a refusal names the field at fault.
  const provers = (value as { provers?: unknown } | null)?.provers;
  if (typeof provers === "object" && provers !== null && !Array.isArray(provers)) {
    const parsed = ProversMap.safeParse(value);
    if (!parsed.success) throw new Error(describeIssues(parsed.error));
    return Object.entries(parsed.data.provers).map(([identity, binding]) => ({
      identity,
      ...binding,
    }));
  }
  const parsed = ProversList.safeParse(value);
  if (!parsed.success) throw new Error(describeIssues(parsed.error));
  return parsed.data.provers;
}

/** Reads and parses `--provers FILE`; the error names the file. */
export function loadProvers(file: string): ProverRule[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`--provers ${file}: ${(error as Error).message}`);
  }
  try {
    return parseProvers(text);
  } catch (error) {
    throw new Error(`--provers ${file}: ${(error as Error).message}`);
  }
}

/**
 * Whether `identity` may submit proofs of GPU `claim.uuid` on host `claim.host`: one of its
 * names has a rule listing the host and, where the rule lists GPUs, the GPU. `recordedHost` is
 * the host the verifier's records have the GPU on, if it has seen it (see `gpuBinding`).
 */
export function authorize(
  identity: Identity,
  claim: Claim,
  rules: readonly ProverRule[],
  recordedHost?: string,
): Authorization {
  const mine = rules.filter((rule) => identity.names.includes(rule.identity));
  if (mine.length === 0) {
    return deny("unknown_identity", `identity "${identity.name}" is not in --provers`);
  }
  const forHost = mine.filter((rule) => rule.hosts.includes(claim.host));
  if (forHost.length === 0) {
    const hosts = [...new Set(mine.flatMap((rule) => rule.hosts))];
    return deny(
      "foreign_host",
      `identity "${identity.name}" may not speak for host "${claim.host}" (its hosts: ${list(hosts)})`,
    );
  }
  if (!forHost.some((rule) => rule.gpus === undefined || rule.gpus.includes(claim.uuid))) {
    return deny(
      "foreign_gpu",
      `GPU "${claim.uuid}" is not among identity "${identity.name}"'s GPUs on host "${claim.host}"`,
    );
  }
  return gpuBinding(claim, rules, recordedHost);
}

/** For a spool folder: it speaks for `spoolHost` alone, whatever its meta.json says. */
export function authorizeSpool(
  spoolHost: string,
  claim: Claim,
  rules: readonly ProverRule[],
  recordedHost?: string,
): Authorization {
  if (claim.host !== spoolHost) {
    return deny(
      "foreign_host",
      `names host "${claim.host}"; this spool speaks for host "${spoolHost}" only (--spool-host)`,
    );
  }
  return gpuBinding(claim, rules, recordedHost);
}

/**
 * A GPU belongs to one host. One that --provers lists belongs to the hosts of the rules that
 * list it; one it does not list belongs to the host the verifier first recorded it on, so that
 * an identity allowed "any GPU" on its own host still cannot write into another host's GPU
 * record by naming its uuid. A GPU that really moved is listed under its new host.
 */
function gpuBinding(
  claim: Claim,
  rules: readonly ProverRule[],
  recordedHost: string | undefined,
): Authorization {
  const owners = rules.filter((rule) => rule.gpus?.includes(claim.uuid));
  if (owners.length > 0) {
    if (owners.some((rule) => rule.hosts.includes(claim.host))) return OK;
    const hosts = [...new Set(owners.flatMap((rule) => rule.hosts))];
    return deny(
      "foreign_gpu",
      `GPU "${claim.uuid}" is listed in --provers for host ${list(hosts)}, not "${claim.host}"`,
    );
  }
  if (recordedHost !== undefined && recordedHost !== claim.host) {
    return deny(
      "foreign_gpu",
      `GPU "${claim.uuid}" is recorded on host "${recordedHost}", not "${claim.host}" (list it under its new host in --provers if it moved)`,
    );
  }
  return OK;
}

/** How a verdict records who submitted it: `<method>:<name>`, e.g. "bearer:node-a". */
export function submitterOf(identity: Identity): string {
  return `${identity.method}:${identity.name}`;
}

/**
 * The verifier's attribution policy for HTTP submissions, over the identity the web-security
 * layer attached (undefined when none did).
 *
 * - `--insecure-no-auth` (method "insecure"): anonymous writes were allowed on purpose; no
 *   binding can be checked, the verdict records "insecure:anonymous".
 * - An authenticated caller and no --provers: nothing says which hosts it may speak for, so
 *   every write is refused (secure by default).
 * - Otherwise `authorize`.
 */
export function authorizeRequest(
  identity: Identity | undefined,
  claim: Claim,
  rules: readonly ProverRule[] | null,
  recordedHost?: string,
): Authorization {
  if (!identity) return deny("unauthenticated", "no authenticated identity on this request");
  if (identity.method === "insecure") return OK;
  if (rules === null) {
    return deny(
      "no_provers",
      `identity "${identity.name}" may not submit proofs: this verifier has no --provers file saying which hosts each prover identity may speak for`,
    );
  }
  return authorize(identity, claim, rules, recordedHost);
}
