// The `slurm` action against a real slurmctld and slurmd (Debian's slurm-wlm 22.05, munge
// auth) started by the test on this machine, as root: Slurm's daemons need it to manage
// nodes and its state directories.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REASON_PREFIX } from "../../quarantine/src/actions/slurm.js";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
import { exec, execOrThrow } from "../helpers/exec.js";
import {
  alert,
  freePort,
  payload,
  post,
  start,
  until,
  type Workspace,
  workspace,
} from "./helpers.js";

const BINARIES = [
  "/usr/sbin/munged",
  "/usr/sbin/mungekey",
  "/usr/sbin/slurmctld",
  "/usr/sbin/slurmd",
  "/usr/bin/scontrol",
  "/usr/bin/sinfo",
];
const missing = BINARIES.filter((file) => !existsSync(file));
const isRoot = process.getuid?.() === 0;
const skipReason =
  missing.length > 0
    ? `Slurm test skipped: ${missing.join(", ")} missing (apt-get install slurm-wlm munge)`
    : !isRoot
      ? "Slurm test skipped: slurmctld and slurmd must run as root"
      : "";
if (skipReason) {
  // Visible in the run's output, not only as a skipped count.
  process.stderr.write(`\n*** ${skipReason} ***\n\n`);
}

// Slurm's NodeName and SlurmctldHost must be this machine's short host name.
const NODE = hostname().split(".")[0] as string;

class SlurmCluster {
  private readonly children: ChildProcess[] = [];
  private logs = "";
  readonly conf: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(private readonly dir: string) {
    this.conf = join(dir, "slurm.conf");
    this.env = { ...process.env, SLURM_CONF: this.conf };
  }

  private daemon(file: string, args: string[]): ChildProcess {
    const child = spawn(file, args, { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    const collect = (chunk: Buffer) => {
      this.logs += chunk.toString();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.children.push(child);
    return child;
  }

  async start(): Promise<void> {
    const munge = join(this.dir, "munge");
    for (const sub of ["munge", "state", "spool", "log"])
      mkdirSync(join(this.dir, sub), { recursive: true });
    chmodSync(munge, 0o700);
    const key = join(munge, "munge.key");
    const socket = join(munge, "munge.socket");
    await execOrThrow("/usr/sbin/mungekey", ["--create", `--keyfile=${key}`, "--force"]);
    // --force: munged refuses sockets under a world-writable /tmp otherwise.
    this.daemon("/usr/sbin/munged", [
      "--foreground",
      "--force",
      `--socket=${socket}`,
      `--key-file=${key}`,
      `--log-file=${join(this.dir, "log", "munged.log")}`,
      `--pid-file=${join(munge, "munged.pid")}`,
      `--seed-file=${join(munge, "munged.seed")}`,
    ]);
    await until(() => (existsSync(socket) ? true : undefined), "munged's socket", 15_000);

    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    writeFileSync(
      this.conf,
      `ClusterName=proofwatch
SlurmctldHost=${NODE}(127.0.0.1)
SlurmctldPort=${ctldPort}
SlurmdPort=${slurmdPort}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${socket}
StateSaveLocation=${join(this.dir, "state")}
SlurmdSpoolDir=${join(this.dir, "spool")}
SlurmctldPidFile=${join(this.dir, "slurmctld.pid")}
SlurmdPidFile=${join(this.dir, "slurmd.pid")}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/linear
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=1 State=UNKNOWN
PartitionName=test Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP
`,
    );
    this.daemon("/usr/sbin/slurmctld", ["-D", "-i"]);
    this.daemon("/usr/sbin/slurmd", ["-D"]);
    await until(
      async () => {
        for (const child of this.children) {
          if (child.exitCode !== null) throw new Error(`a Slurm daemon exited:\n${this.logs}`);
        }
        return (await this.state()) === "idle" ? true : undefined;
      },
      "the node to be idle in sinfo",
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.logs}`);
    });
  }

  /** sinfo's compact state ("idle", "drained", ...) and reason for our node. */
  async state(): Promise<string> {
    return (await this.sinfo()).state;
  }

  async sinfo(): Promise<{ state: string; reason: string }> {
    const result = await execOrThrow("/usr/bin/sinfo", ["-h", "-N", "-n", NODE, "-o", "%T|%E"], {
      env: this.env,
    });
    const [state = "", reason = ""] = result.stdout.trim().split("|");
    // A trailing "*" marks a node not responding at this instant, a flag apart from the
    // drain state under test.
    return { state: state.replace(/[*~#!%$@^-]+$/, ""), reason };
  }

  async scontrol(args: string[]) {
    return execOrThrow("/usr/bin/scontrol", args, { env: this.env });
  }

  async stop(): Promise<void> {
    for (const child of this.children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }
}

describe.skipIf(skipReason !== "")("slurm action against a real slurmctld and slurmd", () => {
  let ws: Workspace;
  let cluster: SlurmCluster;
  let service: RunningQuarantine;
  let hook: string;
  const uuid = "GPU-51a2b3c4-0000-slurm";

  beforeAll(async () => {
    ws = workspace();
    cluster = new SlurmCluster(ws.dir);
    await cluster.start();
    service = await start(ws, {
      actions: {
        slurm: { scontrol: "/usr/bin/scontrol", slurmConf: cluster.conf, nodeName: "short" },
      },
    });
    hook = `${service.url}/v1/alertmanager`;
  });
  afterAll(async () => {
    await service?.close();
    await cluster?.stop();
    ws?.remove();
  });

  it("drains the node with our reason and resumes it on release", async () => {
    const response = await post(hook, payload([alert({ uuid, host: `${NODE}.example.org` })]));
    expect(response.status).toBe(200);
    expect(response.body.results).toMatchObject([{ outcome: "quarantined" }]);
    const drained = await cluster.sinfo();
    expect(drained.state).toBe("drained");
    expect(drained.reason).toBe(`${REASON_PREFIX} GPU ${uuid} quarantined`);

    const released = await post(`${service.url}/v1/quarantine/${uuid}/release`, {
      reason: "reseated",
    });
    expect(released).toMatchObject({ status: 200, body: { status: "released" } });
    expect(await cluster.state()).toBe("idle");
  });

  it("leaves a drain it did not make alone, on quarantine and on release", async () => {
    await cluster.scontrol([
      "update",
      `NodeName=${NODE}`,
      "State=DRAIN",
      "Reason=rack maintenance",
    ]);
    const other = "GPU-51a2b3c4-0001-slurm";
    await post(hook, payload([alert({ uuid: other, host: NODE, gpu: "1" })]));
    expect(await cluster.sinfo()).toEqual({ state: "drained", reason: "rack maintenance" });
    await post(`${service.url}/v1/quarantine/${other}/release`, { reason: "fixed" });
    expect(await cluster.sinfo()).toEqual({ state: "drained", reason: "rack maintenance" });
    await cluster.scontrol(["update", `NodeName=${NODE}`, "State=RESUME"]);
  });

  it("answers 503 while scontrol fails, so that Alertmanager retries", async () => {
    // A node Slurm does not know is a permanent failure; a controller that does not answer
    // is not. Stop the controller by pointing scontrol at a port nobody listens on.
    const broken = workspace();
    const conf = join(broken.dir, "slurm.conf");
    const port = await freePort();
    const text = (await exec("cat", [cluster.conf])).stdout.replace(
      /^SlurmctldPort=\d+$/m,
      `SlurmctldPort=${port}`,
    );
    writeFileSync(conf, text);
    const down = await start(broken, {
      actions: { slurm: { scontrol: "/usr/bin/scontrol", slurmConf: conf, nodeName: "short" } },
      actionTimeoutMs: 30_000,
    });
    try {
      const response = await post(
        `${down.url}/v1/alertmanager`,
        payload([alert({ uuid: "GPU-down-0", host: NODE })]),
      );
      expect(response.status).toBe(503);
      expect(await cluster.state()).toBe("idle");
    } finally {
      await down.close();
      broken.remove();
    }
  }, 120_000);
});
