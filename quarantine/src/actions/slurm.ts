// `slurm`: Slurm cannot take one GPU out of a node, so a quarantined GPU drains its node
// (`scontrol update NodeName=... State=DRAIN Reason=...`) and the node resumes once none of
// its GPUs is held. A node drained by someone else is left alone, then and on release.
import { execFile } from "node:child_process";
import { z } from "zod";
import { PermanentActionError, type QuarantineAction, type Target } from "../types.js";

export const SlurmActionConfig = z
  .object({
    scontrol: z.string().default("scontrol"),
    /** slurm.conf for scontrol (SLURM_CONF); the environment's when unset. */
    slurmConf: z.string().optional(),
    /** "short" strips the domain from the host to get the Slurm NodeName. */
    nodeName: z.enum(["host", "short"]).default("short"),
  })
  .strict();

/** Every Reason we write starts with this; it is how we know a drain is ours. */
export const REASON_PREFIX = "proofwatch:";

interface NodeState {
  states: string[];
  reason: string;
}

export function parseShowNode(text: string): NodeState {
  // `scontrol show node` prints key=value pairs, several a line, except Reason, which may
  // hold spaces and so gets a line of its own, ending with " [user@time]".
  const state = /(?:^|\s)State=(\S+)/m.exec(text)?.[1] ?? "";
  const reason = /^\s*Reason=(.*?)(?: \[[^\]]*\])?\s*$/m.exec(text)?.[1] ?? "";
  return { states: state.split("+"), reason: reason === "(null)" ? "" : reason.trim() };
}

export function createSlurmAction(config: z.infer<typeof SlurmActionConfig>): QuarantineAction {
  const env = config.slurmConf ? { ...process.env, SLURM_CONF: config.slurmConf } : process.env;
  const scontrol = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile(config.scontrol, args, { env, timeout: 20_000 }, (error, stdout, stderr) => {
        if (error) {
          const message = `scontrol ${args.join(" ")}: ${(stderr || error.message).trim()}`;
          reject(
            /not found|invalid node name/i.test(stderr)
              ? new PermanentActionError(message)
              : new Error(message),
          );
        } else {
          resolve(stdout);
        }
      });
    });

  const nodeName = (host: string) =>
    config.nodeName === "short" && !/^[\d.]+$/.test(host) ? (host.split(".")[0] as string) : host;

  const converge = async (target: Target) => {
    const node = nodeName(target.host);
    const current = parseShowNode(await scontrol(["show", "node", node]));
    const drained = current.states.some(
      (s) => s === "DRAIN" || s === "DRAINED" || s === "DRAINING",
    );
    const ours = current.reason.startsWith(REASON_PREFIX);
    const wanted = target.hostQuarantined || target.hostGpus.length > 0;
    if (wanted) {
      if (drained && !ours) return; // an operator's drain stays as it is
      const what = target.hostQuarantined
        ? "node quarantined"
        : `GPU ${target.hostGpus.join(",")} quarantined`;
      // Slurm keeps reasons short in its displays; the full list is in the audit log.
      const reason = `${REASON_PREFIX} ${what}`.slice(0, 200);
      if (drained && current.reason === reason) return;
      await scontrol(["update", `NodeName=${node}`, "State=DRAIN", `Reason=${reason}`]);
    } else if (drained && ours) {
      await scontrol(["update", `NodeName=${node}`, "State=RESUME"]);
    }
  };
  return { name: "slurm", apply: converge, release: converge };
}
