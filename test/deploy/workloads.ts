// What test/deploy's manifest and chart tests both ask of a pod: its containers' command lines
// (parsed by each service's own parser), and which volume a file it is given comes from.
import { parseExporterArgs } from "../../exporter/src/cli.js";
import { parseProverArgs } from "../../prover/service/src/cli.js";
import { parseServiceArgs as parseQuarantineArgs } from "../../quarantine/src/cli.js";
import { parseVerifierArgs } from "../../verifier/src/cli.js";

export type Json = Record<string, unknown>;

export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: Array<{ name: string; containerPort: number; protocol?: string }>;
  securityContext?: Json;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  env?: Array<{ name: string; value?: string }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string | number> };
}
export interface PodSpec {
  containers: Container[];
  volumes?: Array<{ name: string } & Json>;
  serviceAccountName?: string;
  runtimeClassName?: string;
  tolerations?: Array<{ key?: string; operator?: string; effect?: string }>;
  nodeSelector?: Record<string, string>;
  securityContext?: Json;
}

/** Each service's own command line, as `proofwatch <command>` parses it. */
export const PARSERS: Record<string, (argv: string[]) => unknown> = {
  exporter: parseExporterArgs,
  verifier: parseVerifierArgs,
  quarantine: parseQuarantineArgs,
  prover: parseProverArgs,
};

/** The value after `flag`, if the flag is there. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

/** Whether `args` turns authentication off, in any spelling parseArgs takes. */
export const insecure = (args: readonly string[]) =>
  args.some((arg) => arg === "--insecure-no-auth" || arg.startsWith("--insecure-no-auth="));

/** The volume a path inside the container comes from, and the key (file) within it. */
export function mountedFile(pod: PodSpec, container: Container, path: string) {
  const mount = (container.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`));
  const volume = (pod.volumes ?? []).find((v) => v.name === mount?.name);
  return { mount, volume, key: mount ? path.slice(mount.mountPath.length + 1) : undefined };
}

export const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);
