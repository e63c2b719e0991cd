// Runs Debian's `prometheus-alertmanager` binary on loopback with gossip off: the demo routes
// quarantine alerts through it to the webhook, and the tests see what Alertmanager 0.25 sends.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";

export const ALERTMANAGER_BINARY =
  process.env.ALERTMANAGER_BINARY ?? "/usr/bin/prometheus-alertmanager";

/** One Alertmanager process; `start` and `stop` may be called again (a restart keeps the port). */
export class Alertmanager {
  private child: ChildProcess | undefined;
  private log = "";
  readonly url: string;

  constructor(
    private readonly config: string,
    private readonly storage: string,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    mkdirSync(this.storage, { recursive: true });
    this.log = "";
    const child = spawn(
      ALERTMANAGER_BINARY,
      [
        `--config.file=${this.config}`,
        `--storage.path=${this.storage}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        "--cluster.listen-address=",
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr?.on("data", (chunk: Buffer) => {
      this.log += chunk.toString();
    });
    this.child = child;
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`alertmanager exited:\n${this.log}`);
      }
      const ready = await fetch(`${this.url}/-/ready`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await this.stop();
    throw new Error(`alertmanager did not become ready in 30 s:\n${this.log}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    // A child killed by a signal (Ctrl-C reaches the whole foreground group) has no exitCode.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }

  /** Posts alerts as Prometheus would (`/api/v2/alerts`). */
  async post(alerts: unknown[]): Promise<void> {
    const response = await fetch(`${this.url}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alerts),
    });
    if (!response.ok) {
      throw new Error(`alertmanager: HTTP ${response.status} ${await response.text()}`);
    }
  }
}

export interface RunningAlertmanager {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Starts Alertmanager with `configYaml` in a temporary folder it removes on `stop`. */
export async function startAlertmanager(options: {
  configYaml: string;
  port?: number;
}): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), "proofwatch-alertmanager-"));
  const config = join(dir, "alertmanager.yml");
  writeFileSync(config, options.configYaml);
  const am = new Alertmanager(config, join(dir, "data"), options.port ?? (await freePort()));
  try {
    await am.start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: am.url,
    pid: am.pid,
    async stop() {
      await am.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
