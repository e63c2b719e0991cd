import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { packageVersion } from "../../common/package-root.js";
import { parseExposition } from "../../demo/src/exposition.js";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
import {
  familyTypes,
  PROCESS_FAMILIES,
  promtoolCheckMetrics,
  selfMetrics,
  undocumentedMetrics,
} from "../helpers/prometheus.js";
import {
  alert,
  events,
  metric,
  payload,
  post,
  quarantineList,
  scrape,
  serviceStatus,
  start,
  type Workspace,
  workspace,
} from "./helpers.js";

const gpu = (n: number) => `GPU-${String(n).padStart(8, "0")}-storm`;
const stormAlert = (n: number) =>
  alert({ uuid: gpu(n), instance: `node-${Math.floor(n / 4)}:9840`, gpu: String(n % 4) });

describe("safety limits", () => {
  let ws: Workspace;
  let service: RunningQuarantine | undefined;

  beforeEach(() => {
    ws = workspace();
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    ws.remove();
  });

  it("acts on the first alerts of a storm, then trips and holds until a manual reset", async () => {
    // 8 known GPUs at 25%: 2 may be out at once.
    service = await start(ws, { fleetSize: 8 });
    const hook = `${service.url}/v1/alertmanager`;

    const outcomes: string[] = [];
    for (let n = 0; n < 6; n++) {
      const response = await post(hook, payload([stormAlert(n)]));
      expect(response.status).toBe(200);
      outcomes.push(...(response.body.results as Array<{ outcome: string }>).map((r) => r.outcome));
      if (n >= 2) expect(response.body.status).toBe("suppressed");
    }
    expect(outcomes).toEqual([
      "quarantined",
      "quarantined",
      "suppressed",
      "suppressed",
      "suppressed",
      "suppressed",
    ]);
    expect((await quarantineList(service.url)).gpus.map((g) => g.uuid)).toEqual([gpu(0), gpu(1)]);

    let text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_breaker_open")).toBe(1);
    expect(metric(text, "proofwatch_quarantine_breaker_trips_total", { reason: "max_share" })).toBe(
      1,
    );
    expect(metric(text, "proofwatch_quarantine_suppressed_total", { reason: "max_share" })).toBe(1);
    expect(metric(text, "proofwatch_quarantine_suppressed_total", { reason: "breaker_open" })).toBe(
      3,
    );
    expect((await events(service.url, "suppressed")).length).toBe(4);

    // Freeing capacity does not close the breaker: only a person does.
    const released = await post(`${service.url}/v1/quarantine/${gpu(0)}/release`, {
      reason: "false positive",
    });
    expect(released.body.status).toBe("released");
    const afterRelease = await post(hook, payload([stormAlert(6)]));
    expect(afterRelease.body.results).toMatchObject([
      { outcome: "suppressed", reason: "breaker_open" },
    ]);

    const reset = `${service.url}/v1/breaker/reset`;
    expect((await post(reset, { reason: "storm investigated" }, { token: null })).status).toBe(401);
    expect(
      (await post(reset, { reason: "storm investigated" }, { token: "not-the-token-0123456789" }))
        .status,
    ).toBe(401);
    expect(metric(await scrape(service.url), "proofwatch_quarantine_breaker_open")).toBe(1);

    expect(await post(reset, { reason: "storm investigated" })).toMatchObject({
      status: 200,
      body: { wasOpen: true },
    });
    text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_breaker_open")).toBe(0);
    expect(await events(service.url, "breaker_reset")).toMatchObject([
      { actor: "api", detail: { reason: "storm investigated", wasOpen: true } },
    ]);

    // Alertmanager's repeat of a suppressed alert is evaluated again after the reset...
    const repeat = await post(hook, payload([stormAlert(2)]));
    expect(repeat.body.results).toMatchObject([{ outcome: "quarantined" }]);
    // ...and the limit still holds: 2 out of 8 are out again.
    const next = await post(hook, payload([stormAlert(3)]));
    expect(next.body.results).toMatchObject([{ outcome: "suppressed", reason: "max_share" }]);
    expect((await quarantineList(service.url)).gpus.map((g) => g.uuid)).toEqual([gpu(1), gpu(2)]);
  });

  it("trips on too many new quarantines within the window", async () => {
    service = await start(ws, {
      fleetSize: 1000,
      limits: { maxShare: 0.25, maxNew: 3, windowMs: 600_000 },
    });
    const hook = `${service.url}/v1/alertmanager`;
    const response = await post(hook, payload([0, 1, 2, 3, 4].map(stormAlert)));
    expect((response.body.results as Array<{ outcome: string }>).map((r) => r.outcome)).toEqual([
      "quarantined",
      "quarantined",
      "quarantined",
      "suppressed",
      "suppressed",
    ]);
    const text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_breaker_trips_total", { reason: "max_rate" })).toBe(
      1,
    );
    expect(metric(text, "proofwatch_quarantine_gpus")).toBe(3);
  });

  it("counts the known-GPUs file and escalated nodes against the share", async () => {
    const known = join(ws.dir, "known-gpus");
    // 12 GPUs on 3 hosts of 4.
    writeFileSync(
      known,
      `# uuid host\n${Array.from({ length: 12 }, (_, n) => `${gpu(n)} node-${Math.floor(n / 4)}`).join("\n")}\n`,
    );
    service = await start(ws, {
      fleetSize: 0,
      knownGpusFile: known,
      limits: { maxShare: 0.5, maxNew: 10, windowMs: 600_000 },
      escalateAfter: 2,
    });
    const hook = `${service.url}/v1/alertmanager`;
    // Two GPUs of node-0 escalate it: 4 of 12 out.
    await post(hook, payload([stormAlert(0)]));
    const second = await post(hook, payload([stormAlert(1)]));
    expect(second.body.results).toMatchObject([{ outcome: "quarantined", node: "quarantined" }]);
    let list = await quarantineList(service.url);
    expect(list.hosts.map((h) => h.host)).toEqual(["node-0"]);
    expect(
      metric(await scrape(service.url), "proofwatch_quarantine_out_of_service_ratio"),
    ).toBeCloseTo(4 / 12);
    // node-1: one GPU (5 of 12) fine, the second would escalate to 8 of 12 > 6: refused.
    await post(hook, payload([stormAlert(4)]));
    const refused = await post(hook, payload([stormAlert(5)]));
    expect(refused.body.results).toMatchObject([{ outcome: "quarantined", node: "suppressed" }]);
    list = await quarantineList(service.url);
    expect(list.hosts.map((h) => h.host)).toEqual(["node-0"]);

    // Releasing both GPUs of node-0 returns the node.
    for (const n of [0, 1]) {
      await post(`${service.url}/v1/quarantine/${gpu(n)}/release`, { reason: "replaced board" });
    }
    list = await quarantineList(service.url);
    expect(list.hosts).toEqual([]);
    expect(list.gpus.map((g) => g.uuid)).toEqual([gpu(4), gpu(5)]);
  });

  it("never lets alerts for unlisted GPUs raise the share limit, not even after a reset", async () => {
    // 16 GPUs at 25%: 4 may be out. The rate limit is set out of the way.
    service = await start(ws, {
      fleetSize: 16,
      limits: { maxShare: 0.25, maxNew: 1000, windowMs: 3_600_000 },
    });
    const hook = `${service.url}/v1/alertmanager`;
    const quarantined = async () => (await quarantineList(service?.url as string)).gpus.length;
    // A burst naming 50 GPUs that no inventory lists (all different UUIDs).
    const burst = payload(Array.from({ length: 50 }, (_, n) => stormAlert(100 + n)));

    const first = await post(hook, burst);
    expect(first.body.status).toBe("suppressed");
    expect(await quarantined()).toBe(4);
    expect(await serviceStatus(service.url)).toMatchObject({ knownGpus: 16, maxOutOfService: 4 });

    // An operator resets the breaker and Alertmanager repeats the group: the limit is still
    // a quarter of 16, so the first alert past it trips the breaker again.
    await post(`${service.url}/v1/breaker/reset`, { reason: "storm investigated" });
    const again = await post(hook, burst);
    const outcomes = (again.body.results as Array<{ outcome: string }>).map((r) => r.outcome);
    expect(outcomes.filter((o) => o === "quarantined")).toEqual([]);
    expect(await quarantined()).toBe(4);
    const text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_known_gpus")).toBe(16);
    expect(metric(text, "proofwatch_quarantine_breaker_open")).toBe(1);
    // --fleet-size lists no UUIDs, so no alert is said to be outside it.
    expect(metric(text, "proofwatch_quarantine_alerts_outside_inventory_total")).toBe(0);
  });

  it("acts on alerts for GPUs outside the known-GPUs file within its limit, and counts them", async () => {
    const known = join(ws.dir, "known-gpus");
    // 16 listed GPUs at 25%: 4 may be out.
    writeFileSync(known, `${Array.from({ length: 16 }, (_, n) => gpu(n)).join("\n")}\n`);
    service = await start(ws, {
      fleetSize: 0,
      knownGpusFile: known,
      limits: { maxShare: 0.25, maxNew: 1000, windowMs: 3_600_000 },
    });
    const hook = `${service.url}/v1/alertmanager`;
    const listed = stormAlert(0);
    const unlisted = Array.from({ length: 20 }, (_, n) => stormAlert(200 + n));
    const response = await post(hook, payload([listed, ...unlisted]));
    const results = response.body.results as Array<{ outcome: string; outsideInventory?: true }>;
    expect(results[0]).toEqual(expect.not.objectContaining({ outsideInventory: true }));
    expect(results.slice(1).every((r) => r.outsideInventory === true)).toBe(true);
    expect(results.filter((r) => r.outcome === "quarantined").length).toBe(4);
    expect((await quarantineList(service.url)).gpus.map((g) => g.uuid)).toEqual(
      [gpu(0), gpu(200), gpu(201), gpu(202)].sort(),
    );

    const text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_alerts_outside_inventory_total")).toBe(20);
    expect(metric(text, "proofwatch_quarantine_inventory_gpus", { source: "file" })).toBe(16);
    expect(metric(text, "proofwatch_quarantine_known_gpus")).toBe(16);

    // Restarted without the file and with a smaller --fleet-size, the GPUs learned from the
    // file and from alerts count no more: 4 out of 8 exceeds the new limit of 2.
    await service.close();
    service = await start(ws, { fleetSize: 8 });
    expect(await serviceStatus(service.url)).toMatchObject({
      knownGpus: 8,
      maxOutOfService: 2,
      inventory: { file: 0, prometheus: 0 },
    });
  });

  it("changes nothing in dry-run mode and on opted-out hosts", async () => {
    service = await start(ws, { dryRun: true });
    const hook = `${service.url}/v1/alertmanager`;
    const response = await post(hook, payload([stormAlert(0)]));
    expect(response.body.results).toMatchObject([{ outcome: "dry_run" }]);
    expect((await quarantineList(service.url)).gpus).toEqual([]);
    expect((await events(service.url, "would_quarantine")).length).toBe(1);
    expect(metric(await scrape(service.url), "proofwatch_quarantine_dry_run")).toBe(1);
    await service.close();

    // Same database, live now: the alert Alertmanager repeats is acted on, except on the
    // opted-out host.
    service = await start(ws, { optOutHosts: ["node-1"] });
    const live = `${service.url}/v1/alertmanager`;
    const results = (await post(live, payload([stormAlert(0), stormAlert(4)]))).body.results;
    expect(results).toMatchObject([{ outcome: "quarantined" }, { outcome: "opted_out" }]);
    expect((await quarantineList(service.url)).gpus.map((g) => g.uuid)).toEqual([gpu(0)]);
  });

  it("exposes metrics that promtool accepts", async () => {
    service = await start(ws);
    await post(`${service.url}/v1/alertmanager`, payload([stormAlert(0)]));
    const check = promtoolCheckMetrics(await scrape(service.url));
    expect(check.output).toBe("");
    expect(check.status).toBe(0);
  });

  it("documents every metric it exposes in docs/metrics.md", async () => {
    service = await start(ws);
    const exposition = parseExposition(await scrape(service.url));
    const names = Object.keys(familyTypes(exposition, "proofwatch_quarantine_"));
    expect(names.length).toBeGreaterThan(10);
    expect(undocumentedMetrics(names)).toEqual([]);

    const self = selfMetrics(exposition);
    expect(self.processFamilies).toEqual(PROCESS_FAMILIES);
    expect(self.buildInfo.map((sample) => [sample.labels, sample.value])).toEqual([
      [
        {
          version: packageVersion(),
          component: "quarantine",
          nodejs_version: process.versions.node,
        },
        1,
      ],
    ]);
    expect(self.undocumented).toEqual([]);
  });
});
