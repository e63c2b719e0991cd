// A real Alertmanager (Debian's prometheus-alertmanager 0.25, loopback, gossip off) sends to
// the webhook: one quarantine for a firing alert however often it is sent again.
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERTMANAGER_BINARY as ALERTMANAGER, Alertmanager } from "../../demo/src/alertmanager.js";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
import {
  events,
  freePort,
  metric,
  quarantineList,
  scrape,
  start,
  until,
  type Workspace,
  workspace,
} from "./helpers.js";

describe("Alertmanager 0.25 sending to the webhook", () => {
  let ws: Workspace;
  let service: RunningQuarantine;
  let am: Alertmanager;
  const storage = () => join(ws.dir, "alertmanager");

  const labels = {
    alertname: "ProofwatchGpuUncorrectableEcc",
    severity: "critical",
    proofwatch_action: "quarantine",
    uuid: "GPU-abcdef01-2345-6789-abcd-ef0123456789",
    gpu: "3",
    instance: "prover-17.example:9840",
  };
  const startsAt = new Date(Date.now() - 60_000).toISOString();

  beforeAll(async () => {
    if (!existsSync(ALERTMANAGER))
      throw new Error(`${ALERTMANAGER} missing: apt-get install prometheus-alertmanager`);
    ws = workspace();
    service = await start(ws);
    const config = join(ws.dir, "alertmanager.yml");
    // repeat_interval close to group_interval makes Alertmanager repeat the firing message.
    writeFileSync(
      config,
      `route:
  receiver: quarantine
  group_by: [alertname, uuid]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: quarantine
    webhook_configs:
      - url: ${service.url}/v1/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: ${ws.tokenFile}
`,
    );
    am = new Alertmanager(config, storage(), await freePort());
    await am.start();
  });
  afterAll(async () => {
    await am?.stop();
    await service?.close();
    ws?.remove();
  });

  it("quarantines once; repeats and a re-send after losing the notification log do nothing more; records the resolution", async () => {
    await am.post([{ labels, annotations: { summary: "uncorrectable ECC" }, startsAt }]);

    const [quarantine] = await until(async () => {
      const found = await events(service.url, "quarantine");
      return found.length > 0 ? found : undefined;
    }, "the quarantine");
    expect(quarantine).toMatchObject({
      actor: "alertmanager",
      uuid: labels.uuid,
      host: "prover-17.example",
    });
    expect((await quarantineList(service.url)).gpus).toMatchObject([
      { uuid: labels.uuid, host: "prover-17.example", gpu: "3", reason: labels.alertname },
    ]);

    // Alertmanager repeats the firing message every repeat_interval: audited no-ops.
    await until(
      async () => ((await events(service.url, "duplicate")).length >= 2 ? true : undefined),
      "two repeated notifications",
    );

    // Lose the notification log: Alertmanager sends the firing alert again as new.
    await am.stop();
    rmSync(storage(), { recursive: true, force: true });
    const before = (await events(service.url, "duplicate")).at(-1)?.id ?? 0;
    await am.start();
    await am.post([{ labels, annotations: { summary: "uncorrectable ECC" }, startsAt }]);
    await until(
      async () =>
        (await events(service.url, "duplicate")).some((e) => e.id > before) ? true : undefined,
      "the re-sent firing alert",
    );

    expect((await events(service.url, "quarantine")).length).toBe(1);
    let text = await scrape(service.url);
    expect(
      metric(text, "proofwatch_quarantine_actions_total", { action: "file", result: "success" }),
    ).toBe(1);
    expect(metric(text, "proofwatch_quarantine_gpus")).toBe(1);

    // Resolve: recorded, and the GPU stays out until a person (or auto-release) returns it.
    await am.post([{ labels, annotations: {}, startsAt, endsAt: new Date().toISOString() }]);
    const [resolved] = await until(async () => {
      const found = await events(service.url, "resolved");
      return found.length > 0 ? found : undefined;
    }, "the resolution");
    expect(resolved).toMatchObject({ uuid: labels.uuid, detail: { quarantined: true } });
    text = await scrape(service.url);
    expect(metric(text, "proofwatch_quarantine_gpus")).toBe(1);
    expect(
      metric(text, "proofwatch_quarantine_requests_total", { result: "unauthorized" }),
    ).toBeUndefined();
  });
});
