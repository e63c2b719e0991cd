// XID events from the scenario, including one added to the file mid-run, each delivered once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadNvml } from "../../native/index.js";
import type { XidEvent } from "../../native/types.js";
import { type ScenarioFile, sleep, useFakeNvml, waitFor } from "./fake-scenario.js";

const nvml = loadNvml();
const received: XidEvent[] = [];
let file: ScenarioFile;

const UUID0 = "GPU-00000000-aaaa-4000-8000-000000000000";
const UUID1 = "GPU-11111111-bbbb-4000-8000-000000000001";
const devices = [
  { uuid: UUID0 },
  { uuid: UUID1 },
  // A GPU whose driver cannot report events: skipped, without costing the others theirs.
  {
    uuid: "GPU-22222222-cccc-4000-8000-000000000002",
    returns: { nvmlDeviceRegisterEvents: "NOT_SUPPORTED" },
  },
];
const queued = [
  { id: "xid48-gpu0", device: 0, xid: 48 },
  { id: "xid79-gpu1", device: 1, xid: 79, atSeconds: 1 },
  { id: "xid31-gpu2", device: 2, xid: 31 },
];

beforeAll(() => {
  file = useFakeNvml({ devices, events: queued });
  nvml.init();
});

afterAll(() => {
  nvml.stopEvents();
  nvml.shutdown();
});

describe("startEvents", () => {
  it("delivers queued XID events with the device's index and UUID", async () => {
    await nvml.startEvents((event) => received.push(event));
    expect(await waitFor(() => received.length >= 2, 5_000)).toBe(true);
    expect(received).toEqual([
      { index: 0, uuid: UUID0, xid: 48 },
      { index: 1, uuid: UUID1, xid: 79 },
    ]);
  });

  it("delivers an event appended to the scenario file mid-run, and each event only once", async () => {
    file.write({ devices, events: [...queued, { id: "xid13-gpu1", device: 1, xid: 13 }] });
    expect(await waitFor(() => received.length >= 3, 5_000)).toBe(true);
    // Several more wait timeouts and reloads: nothing may arrive twice.
    await sleep(800);
    expect(received).toEqual([
      { index: 0, uuid: UUID0, xid: 48 },
      { index: 1, uuid: UUID1, xid: 79 },
      { index: 1, uuid: UUID1, xid: 13 },
    ]);
  });

  it("refuses a second watcher and stops cleanly", async () => {
    await expect(nvml.startEvents(() => {})).rejects.toThrow(/already/);
    nvml.stopEvents();
    file.write({ devices, events: [...queued, { id: "late", device: 0, xid: 94 }] });
    await sleep(400);
    expect(received).toHaveLength(3);
    // Restarting picks up what arrived while nobody was watching.
    await nvml.startEvents((event) => received.push(event));
    expect(await waitFor(() => received.length >= 4, 5_000)).toBe(true);
    expect(received[3]).toEqual({ index: 0, uuid: UUID0, xid: 94 });
  });

  it("checks its callback argument", () => {
    const notAFunction = 42 as unknown as (event: XidEvent) => void;
    expect(() => nvml.startEvents(notAFunction)).toThrow(TypeError);
  });
});
