import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer } from "../../common/listen.js";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
import {
  alert,
  events,
  payload,
  post,
  quarantineList,
  start,
  until,
  type Workspace,
  workspace,
} from "./helpers.js";

// Prometheus' query API, answering from what the test says the fleet looks like now.
class PrometheusQueries {
  /** UUIDs with `proofwatch_gpu_up == 1`. */
  up = new Set<string>();
  /** Unix seconds of each GPU's last passing canary (the prover's last-success gauge). */
  canaryPassedAt = new Map<string, number>();
  /** Answer 503 to every query, as a Prometheus that is down behind its proxy would. */
  down = false;
  readonly queries: string[] = [];
  private server: Server | undefined;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const query = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
      this.queries.push(query);
      if (this.down) {
        res.writeHead(503).end();
        return;
      }
      const uuid = /uuid="([^"]+)"/.exec(query)?.[1] ?? "";
      const now = Date.now() / 1000;
      let result: Array<{ metric: Record<string, string>; value: [number, string] }> = [];
      if (query.startsWith("proofwatch_gpu_up") && this.up.has(uuid)) {
        result = [{ metric: { uuid }, value: [now, "1"] }];
      }
      // `max by (uuid) (…last_success_timestamp_seconds{uuid=…}) > T`: the sample when above T.
      const canary =
        /^max by \(uuid\) \(proofwatch_prover_canary_last_success_timestamp_seconds\{uuid="[^"]+"\}\) > ([0-9.]+)$/.exec(
          query,
        );
      const passedAt = this.canaryPassedAt.get(uuid);
      if (canary && passedAt !== undefined && passedAt > Number(canary[1])) {
        result = [{ metric: { uuid }, value: [now, String(passedAt)] }];
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }
}

describe("auto-release", () => {
  let ws: Workspace;
  let prometheus: PrometheusQueries;
  let service: RunningQuarantine;
  const resolvedGpu = "GPU-aaaaaaaa-auto-release";
  const firingGpu = "GPU-bbbbbbbb-auto-release";

  beforeAll(async () => {
    ws = workspace();
    prometheus = new PrometheusQueries();
    await prometheus.start();
    service = await start(ws, {
      autoRelease: { prometheusUrl: prometheus.url, holdMs: 500, intervalMs: 100 },
    });
  });
  afterAll(async () => {
    await service?.close();
    await prometheus?.stop();
    ws?.remove();
  });

  const held = async () => (await quarantineList(service.url)).gpus.map((g) => g.uuid).sort();
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("needs the alert resolved, the hold passed and Prometheus answering that the GPU is healthy", async () => {
    const hook = `${service.url}/v1/alertmanager`;
    const first = alert({ uuid: resolvedGpu });
    await post(hook, payload([first, alert({ uuid: firingGpu })]));
    expect(await held()).toEqual([resolvedGpu, firingGpu]);

    // The first alert resolves while Prometheus is down.
    prometheus.up = new Set([resolvedGpu, firingGpu]);
    prometheus.down = true;
    await post(hook, payload([{ ...first, status: "resolved", endsAt: new Date().toISOString() }]));

    // Resolved and past the hold, but Prometheus does not answer: kept out.
    const asked = prometheus.queries.length;
    await until(() => (prometheus.queries.length > asked + 2 ? true : undefined), "health checks");
    expect(await held()).toEqual([resolvedGpu, firingGpu]);

    // Prometheus answers, but the GPU has no fresh up sample (its exporter is gone): kept out.
    prometheus.down = false;
    prometheus.up = new Set([firingGpu]);
    await sleep(600);
    expect(await held()).toEqual([resolvedGpu, firingGpu]);

    // Healthy now, and its canary passed since: released, by the system, audited as auto.
    prometheus.canaryPassedAt.set(resolvedGpu, Date.now() / 1000);
    prometheus.up = new Set([resolvedGpu, firingGpu]);
    await until(async () => ((await held()).length === 1 ? true : undefined), "the auto-release");
    expect(await held()).toEqual([firingGpu]);
    expect(await events(service.url, "release")).toMatchObject([
      { actor: "system", uuid: resolvedGpu, detail: { mode: "auto" } },
    ]);
    // The GPU whose alert still fires is never asked about.
    expect(prometheus.queries.some((q) => q.includes(firingGpu))).toBe(false);
  });

  it("needs a canary passed on the GPU since its quarantine began", async () => {
    const gpu = "GPU-cccccccc-auto-release";
    const hook = `${service.url}/v1/alertmanager`;
    const firing = alert({ uuid: gpu });
    // Its last canary passed a minute before the quarantine: that says nothing about now.
    prometheus.canaryPassedAt.set(gpu, Date.now() / 1000 - 60);
    prometheus.up.add(gpu);
    await post(hook, payload([firing]));
    const since = Date.parse(
      (await quarantineList(service.url)).gpus.find((g) => g.uuid === gpu)?.since ?? "",
    );
    await post(
      hook,
      payload([{ ...firing, status: "resolved", endsAt: new Date().toISOString() }]),
    );

    // Resolved, past the hold, up, no alert firing; asked for a canary after `since`: kept out.
    const asked = () =>
      prometheus.queries.filter((q) => q.includes(gpu) && q.includes("canary")).length;
    await until(() => (asked() >= 3 ? true : undefined), "canary checks");
    expect(await held()).toContain(gpu);
    expect(prometheus.queries.filter((q) => q.includes(gpu) && q.includes("canary"))).toContain(
      `max by (uuid) (proofwatch_prover_canary_last_success_timestamp_seconds{uuid="${gpu}"}) > ${since / 1000}`,
    );

    // A canary passes on it (the prover service keeps checking quarantined GPUs): released.
    prometheus.canaryPassedAt.set(gpu, Date.now() / 1000);
    await until(async () => (!(await held()).includes(gpu) ? true : undefined), "the release");
    expect((await events(service.url, "release")).map((e) => e.uuid)).toContain(gpu);
  });
});
