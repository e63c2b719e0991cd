// The demo's output (demo/src/output.ts) fed a scripted run of the fleet: when it is not a
// terminal, one line per change and never the table; on a terminal, the table redrawn with the
// story below it.
import { describe, expect, it } from "vitest";
import { changes, DemoOutput, type OutputStream } from "../../demo/src/output.js";
import type { FleetView, GpuRow } from "../../demo/src/view.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function gpu(index: number, change: Partial<GpuRow> = {}): GpuRow {
  return {
    gpu: String(index),
    uuid: `GPU-${index}0000000-aaaa-bbbb-cccc-dddddddddddd`,
    up: true,
    xids: 0,
    alerts: [],
    drained: false,
    ...change,
  };
}

/** The demo's story as the watcher would read it, one view every 2 s. */
const STORY: FleetView[] = [
  { rows: [gpu(0), gpu(1)], hostAlerts: [] },
  { rows: [gpu(0, { lastVerdict: "valid" }), gpu(1, { lastVerdict: "valid" })], hostAlerts: [] },
  // Nothing changes for a while: the redraws a table would make.
  { rows: [gpu(0, { lastVerdict: "valid" }), gpu(1, { lastVerdict: "valid" })], hostAlerts: [] },
  { rows: [gpu(0, { lastVerdict: "valid" }), gpu(1, { lastVerdict: "valid" })], hostAlerts: [] },
  {
    rows: [gpu(0, { lastVerdict: "valid" }), gpu(1, { lastVerdict: "invalid" })],
    hostAlerts: [],
  },
  {
    rows: [
      gpu(0, { lastVerdict: "valid" }),
      gpu(1, { lastVerdict: "invalid", alerts: ["ProofwatchGpuInvalidProofs"] }),
    ],
    hostAlerts: ["ProofwatchVerifierBacklog"],
  },
  {
    rows: [
      gpu(0, { lastVerdict: "valid", eccUncorrected: 2 }),
      gpu(1, {
        lastVerdict: "invalid",
        alerts: ["ProofwatchGpuInvalidProofs"],
        quarantined: "ProofwatchGpuInvalidProofs",
        drained: true,
      }),
    ],
    hostAlerts: [],
  },
];

const EXPECTED = [
  "   0 s  GPU 0 (GPU-00000000…) up, in service",
  "   0 s  GPU 1 (GPU-10000000…) up, in service",
  "   2 s  GPU 0 last verdict valid",
  "   2 s  GPU 1 last verdict valid",
  "   5 s  GPU 1 starts making invalid proofs (fault injected in the prover)",
  "   8 s  GPU 1 last verdict invalid",
  "  10 s  GPU 1 alert ProofwatchGpuInvalidProofs firing",
  "  10 s  host alert ProofwatchVerifierBacklog firing",
  "  12 s  GPU 0 reports uncorrected ECC errors (2)",
  "  12 s  GPU 1 is quarantined (ProofwatchGpuInvalidProofs)",
  "  12 s  GPU 1 gets no more work from the prover",
  "  12 s  host alert ProofwatchVerifierBacklog resolved",
];

function play(stream: OutputStream & { text: string }) {
  const output = new DemoOutput(stream, ["proofwatch demo is running"], T0);
  STORY.forEach((view, i) => {
    if (i === 3)
      output.tell("GPU 1 starts making invalid proofs (fault injected in the prover)", T0 + 5_000);
    output.show(view, T0 + i * 2_000);
  });
  return output;
}

const stream = (isTTY: boolean) => {
  const out = {
    isTTY,
    text: "",
    writes: 0,
    write(chunk: string) {
      out.text += chunk;
      out.writes += 1;
      return true;
    },
  };
  return out;
};

describe("the demo's output", () => {
  it("prints one line per change when it is not a terminal, and never redraws", () => {
    const out = stream(false);
    expect(play(out).interactive).toBe(false);
    expect(out.text.split("\n").filter(Boolean)).toEqual(EXPECTED);
    expect(out.writes).toBe(EXPECTED.length);
    // No table and no terminal control sequences: the output reads as a log.
    expect(out.text).not.toContain("\x1b[");
    expect(out.text).not.toMatch(/HEALTH|PROOFS\/MIN|proofwatch demo —/);
  });

  it("redraws the table with the story below it on a terminal", () => {
    const out = stream(true);
    play(out);
    const frames = out.text.split("\x1b[2J\x1b[H").filter(Boolean);
    expect(frames).toHaveLength(STORY.length);
    const last = frames.at(-1) ?? "";
    expect(last).toMatch(/^proofwatch demo is running\n\nproofwatch demo — 12 s/);
    expect(last).toMatch(/QUARANTINED \(ProofwatchGpuInvalidProofs\), drained/);
    expect(last.trimEnd().split("\n").slice(-EXPECTED.length)).toEqual(EXPECTED);
  });

  it("tells a GPU held back by its canary, in the lines and in the table", () => {
    const pending: FleetView = { rows: [gpu(3, { canaryHold: "pending" })], hostAlerts: [] };
    const failed: FleetView = { rows: [gpu(3, { canaryHold: "failed" })], hostAlerts: [] };
    expect(changes(undefined, failed)).toEqual([
      "GPU 3 (GPU-30000000…) up, canary failed, no work",
    ]);
    expect(changes(pending, failed)).toEqual([
      "GPU 3 failed its known-answer canary and gets no work",
    ]);
    expect(changes(failed, failed)).toEqual([]);
    expect(changes(failed, { rows: [gpu(3)], hostAlerts: [] })).toEqual([
      "GPU 3 passed its known-answer canary",
    ]);
    const out = stream(true);
    new DemoOutput(out, [], T0).show(failed, T0);
    expect(out.text).toContain("CANARY FAILED, no work");
    expect(out.text).not.toContain("in service");
  });

  it("tells a GPU lost and back, alerts resolved, a release and a GPU gone", () => {
    const before: FleetView = {
      rows: [gpu(0, { quarantined: "ProofwatchGpuXid", drained: true, alerts: ["A"] }), gpu(1)],
      hostAlerts: [],
    };
    const lost: FleetView = {
      rows: [gpu(0, { up: false, alerts: [] })],
      hostAlerts: [],
    };
    expect(changes(before, lost)).toEqual([
      "GPU 0 is LOST",
      "GPU 0 alert A resolved",
      "GPU 0 is released from quarantine",
      "GPU 0 gets work again",
      "GPU 1 is gone",
    ]);
    expect(changes(lost, { rows: [gpu(0)], hostAlerts: [] })).toEqual(["GPU 0 is back"]);
    expect(changes(lost, lost)).toEqual([]);
    // The first view of a GPU says where it stands.
    expect(changes(undefined, before)).toEqual([
      "GPU 0 (GPU-00000000…) up, quarantined (ProofwatchGpuXid), firing A",
      "GPU 1 (GPU-10000000…) up, in service",
    ]);
    expect(
      changes(undefined, { rows: [gpu(1, { lastVerdict: "valid" })], hostAlerts: [] }),
    ).toEqual(["GPU 1 (GPU-10000000…) up, in service, last verdict valid"]);
  });
});
