import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningQuarantine } from "../../quarantine/src/index.js";
import {
  alert,
  events,
  metric,
  payload,
  post,
  quarantineList,
  scrape,
  start,
  type Workspace,
  workspace,
} from "./helpers.js";

const uuid = "GPU-00000000-0000-0000-0000-0000000e0150";
// Episodes of one alert on one GPU: same labels, so the same fingerprint, new startsAt.
const episode = (startsAt: string) => alert({ uuid, startsAt });
const resolvedAt = (firing: ReturnType<typeof alert>, endsAt: string) => ({
  ...firing,
  status: "resolved" as const,
  endsAt,
});

describe("episode ordering", () => {
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

  const held = async () => (await quarantineList(service?.url as string)).gpus.map((g) => g.uuid);
  const outcomes = async (body: unknown) =>
    (
      (await post(`${service?.url}/v1/alertmanager`, body)).body.results as Array<{
        outcome: string;
      }>
    ).map((r) => r.outcome);

  it("ignores a late firing message of an older episode after a newer one resolved, and acts on a new one", async () => {
    service = await start(ws);
    // Episode 2 fires, the board is replaced, episode 2 resolves.
    const second = episode("2025-03-01T10:00:00.5Z");
    expect(await outcomes(payload([second]))).toEqual(["quarantined"]);
    await post(`${service.url}/v1/quarantine/${uuid}/release`, { reason: "board replaced" });
    expect(await outcomes(payload([resolvedAt(second, "2025-03-01T10:20:00Z")]))).toEqual([
      "resolved",
    ]);

    // The ordering survives a restart: it is kept in the database.
    await service.close();
    service = await start(ws);

    // Episode 1's firing message arrives late. 11:30+02:00 is 09:30Z: older than episode 2,
    // although its text sorts after it. Both a first delivery and a repeat are ignored.
    const first = episode("2025-03-01T11:30:00+02:00");
    expect(await outcomes(payload([first]))).toEqual(["superseded"]);
    expect(await outcomes(payload([first]))).toEqual(["superseded"]);
    // So is a re-sent firing message with episode 2's own startsAt in another notation.
    expect(await outcomes(payload([episode("2025-03-01T10:00:00.500000000Z")]))).toEqual([
      "superseded",
    ]);
    expect(await held()).toEqual([]);
    expect(await events(service.url, "superseded_firing")).toMatchObject([
      {
        uuid,
        detail: {
          startsAt: "2025-03-01T11:30:00+02:00",
          resolvedStartsAt: "2025-03-01T10:00:00.500000000Z",
          resolvedEndsAt: "2025-03-01T10:20:00Z",
        },
      },
      {},
      {},
    ]);
    expect(
      metric(await scrape(service.url), "proofwatch_quarantine_alerts_total", {
        outcome: "superseded",
      }),
    ).toBe(3);

    // Episode 3 is new: the GPU fails again.
    expect(await outcomes(payload([episode("2025-03-01T12:00:00Z")]))).toEqual(["quarantined"]);
    expect(await held()).toEqual([uuid]);
  });

  it("lets a late resolution of an older episode not hide a newer one", async () => {
    service = await start(ws);
    const second = episode("2025-03-01T10:00:00Z");
    expect(await outcomes(payload([resolvedAt(second, "2025-03-01T10:20:00Z")]))).toEqual([
      "resolved",
    ]);
    // Episode 1's resolution arrives late; the newest resolved episode is still episode 2.
    const first = episode("2025-03-01T09:00:00Z");
    expect(await outcomes(payload([resolvedAt(first, "2025-03-01T09:10:00Z")]))).toEqual([
      "resolved",
    ]);
    expect(await outcomes(payload([episode("2025-03-01T09:59:59.999999999Z")]))).toEqual([
      "superseded",
    ]);
    expect(await outcomes(payload([episode("2025-03-01T10:00:00.000000001Z")]))).toEqual([
      "quarantined",
    ]);
  });
});
