import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer } from "../../common/listen.js";
import { parseExposition } from "../../demo/src/exposition.js";
import { parseServiceArgs } from "../../quarantine/src/cli.js";
import type { QuarantineOptions, RunningQuarantine } from "../../quarantine/src/index.js";
import {
  eventually,
  familyTypes,
  promtoolCheckMetrics,
  type RunningPrometheus,
  startPrometheus,
  undocumentedMetrics,
} from "../helpers/prometheus.js";
import {
  alert,
  metric,
  payload,
  post,
  quarantineList,
  scrape,
  serviceStatus,
  start,
  until,
  type Workspace,
  workspace,
} from "./helpers.js";

const gpu = (n: number) => `GPU-${String(n).padStart(8, "0")}-inventory`;

/**
 * An exporter's identity series as `proofwatch exporter` serves them (docs/metrics.md), for
 * the GPUs it is told to have; Prometheus scrapes it like any exporter.
 */
class InfoTarget {
  gpus: number[] = [];
  private server: Server | undefined;
  address = "";

  constructor(gpus: number[]) {
    this.gpus = gpus;
  }

  async start(): Promise<void> {
    this.server = createServer((_req, res) => {
      const lines = [
        "# HELP proofwatch_gpu_info Identity of the GPU; always 1.",
        "# TYPE proofwatch_gpu_info gauge",
        ...this.gpus.map(
          (n, index) =>
            `proofwatch_gpu_info{gpu="${index}",uuid="${gpu(n)}",name="NVIDIA H100 80GB HBM3",driver_version="550.54.15",pci_bus_id="00000000:${String(index + 16).padStart(2, "0")}:00.0",serial="16501234${n}"} 1`,
        ),
      ];
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(`${lines.join("\n")}\n`);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.address = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("GPU inventory from Prometheus", () => {
  let ws: Workspace;
  let prometheus: RunningPrometheus | undefined;
  let service: RunningQuarantine | undefined;
  // Two exporters: 12 and 8 GPUs. GPU 11 is reported by both (a card moved between scrapes):
  // counted once.
  const nodeA = new InfoTarget(range(0, 12));
  const nodeB = new InfoTarget([...range(12, 19), 11]);

  beforeAll(async () => {
    ws = workspace();
    await nodeA.start();
    await nodeB.start();
    prometheus = await startPrometheus({ targets: [nodeA.address, nodeB.address] });
    const running = prometheus;
    await eventually(
      async () => ((await running.query("proofwatch_gpu_info")).length === 20 ? true : undefined),
      30_000,
      "Prometheus to scrape both targets",
    );
  });
  afterAll(async () => {
    await service?.close();
    await prometheus?.stop();
    await nodeA.stop();
    await nodeB.stop();
    ws?.remove();
  });

  it("sets the share limit from the exporters' GPUs, follows them, and keeps the last count while Prometheus is down", async () => {
    const inventory = {
      prometheusUrl: prometheus?.url as string,
      intervalMs: 200,
      lookbackMs: 3_600_000,
    };
    const limits = { maxShare: 0.25, maxNew: 1000, windowMs: 3_600_000 };
    // --fleet-size 4 alone would allow 1; the 19 GPUs Prometheus holds allow 4.
    service = await start(ws, { fleetSize: 4, inventory, limits });
    const url = service.url;
    expect(await serviceStatus(url)).toMatchObject({
      knownGpus: 19,
      maxOutOfService: 4,
      inventory: { file: 0, prometheus: 19 },
    });

    const hook = `${url}/v1/alertmanager`;
    const first = await post(hook, payload(range(0, 6).map((n) => alert({ uuid: gpu(n) }))));
    expect((first.body.results as Array<{ outcome: string }>).map((r) => r.outcome)).toEqual([
      "quarantined",
      "quarantined",
      "quarantined",
      "quarantined",
      "suppressed",
      "suppressed",
    ]);

    // Four more GPUs come up: 23 known, 5 may be out, read on the next refresh.
    nodeB.gpus = [...nodeB.gpus, ...range(19, 23)];
    await until(
      async () => ((await serviceStatus(url)).knownGpus === 23 ? true : undefined),
      "the inventory refresh",
    );
    expect((await serviceStatus(url)).maxOutOfService).toBe(5);

    // After a reset, one more fits: a GPU no exporter reports, acted on and counted.
    await post(`${url}/v1/breaker/reset`, { reason: "fleet grew" });
    const outside = await post(hook, payload([alert({ uuid: "GPU-ffffffff-not-reported" })]));
    expect(outside.body.results).toMatchObject([
      { outcome: "quarantined", outsideInventory: true },
    ]);
    const next = await post(hook, payload([alert({ uuid: gpu(5) })]));
    expect(next.body.results).toMatchObject([{ outcome: "suppressed", reason: "max_share" }]);
    expect((await quarantineList(url)).gpus).toHaveLength(5);

    const text = await scrape(url);
    expect(metric(text, "proofwatch_quarantine_alerts_outside_inventory_total")).toBe(1);
    expect(metric(text, "proofwatch_quarantine_inventory_gpus", { source: "prometheus" })).toBe(23);
    const refreshedAt = metric(text, "proofwatch_quarantine_inventory_refresh_timestamp_seconds");
    expect(refreshedAt).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(promtoolCheckMetrics(text)).toEqual({ output: "", status: 0 });
    const names = Object.keys(familyTypes(parseExposition(text), "proofwatch_quarantine_"));
    expect(undocumentedMetrics(names)).toEqual([]);

    // Prometheus goes away: refreshes fail and the last good count stays, across a restart.
    await prometheus?.stop();
    prometheus = undefined;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await serviceStatus(url)).knownGpus).toBe(23);
    const lastGood = metric(
      await scrape(url),
      "proofwatch_quarantine_inventory_refresh_timestamp_seconds",
    );
    expect(lastGood).toBeGreaterThanOrEqual(refreshedAt as number);
    await service.close();
    service = await start(ws, { fleetSize: 4, inventory, limits });
    expect(await serviceStatus(service.url)).toMatchObject({
      knownGpus: 23,
      maxOutOfService: 5,
      inventory: { prometheus: 23 },
    });
    expect(
      metric(
        await scrape(service.url),
        "proofwatch_quarantine_inventory_refresh_timestamp_seconds",
      ),
    ).toBe(lastGood);
  });
});

describe("inventory options", () => {
  const parse = (...argv: string[]) =>
    parseServiceArgs(["--db", "/tmp/q.db", ...argv]) as QuarantineOptions;

  it("reads --inventory-prometheus and --inventory-interval, or the config file's inventory", () => {
    expect(parse("--fleet-size", "4").inventory).toBeNull();
    expect(
      parse("--inventory-prometheus", "http://prometheus:9090", "--inventory-interval", "30s")
        .inventory,
    ).toEqual({
      prometheusUrl: "http://prometheus:9090",
      intervalMs: 30_000,
      lookbackMs: 3_600_000,
    });

    const ws = workspace();
    try {
      const config = `${ws.dir}/config.json`;
      writeFileSync(
        config,
        JSON.stringify({ inventory: { prometheusUrl: "http://prom:9090", lookback: "2h" } }),
      );
      expect(parse("--config", config).inventory).toEqual({
        prometheusUrl: "http://prom:9090",
        intervalMs: 60_000,
        lookbackMs: 7_200_000,
      });
      // The flag wins over the file.
      expect(
        parse("--config", config, "--inventory-prometheus", "https://other:9090").inventory
          ?.prometheusUrl,
      ).toBe("https://other:9090");
    } finally {
      ws.remove();
    }

    expect(() => parse("--inventory-prometheus", "file:///etc/passwd")).toThrow(/http\(s\) URL/);
    expect(() => parse("--inventory-interval", "1m")).toThrow(/needs --inventory-prometheus/);
    expect(() =>
      parse("--inventory-prometheus", "http://p:9090", "--inventory-interval", "0s"),
    ).toThrow(/longer than 0/);
  });
});
