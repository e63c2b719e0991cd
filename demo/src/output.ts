// What the demo prints while it runs. On a terminal: the table (table.ts), redrawn each
// refresh, with the story so far below it. Anywhere else (a pipe, a file, CI's log): one line
// per change, a quarantine, an alert that starts or stops firing, a new last verdict, a GPU
// lost or back, and no redraw, so that the output reads as a log (issue 17).
import { renderTable } from "./table.js";
import type { FleetView, GpuRow } from "./view.js";

/** Where the demo writes: a terminal or not (process.stdout, or a stream in a test). */
export interface OutputStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

const short = (uuid: string) => `${uuid.slice(0, 12)}…`;

function diff(before: readonly string[], after: readonly string[]) {
  return {
    added: after.filter((item) => !before.includes(item)),
    removed: before.filter((item) => !after.includes(item)),
  };
}

/** One GPU's changes from `before` (undefined: not seen yet) to `after`, as story lines. */
function rowChanges(before: GpuRow | undefined, after: GpuRow): string[] {
  const gpu = `GPU ${after.gpu}`;
  if (!before) {
    const state = [
      after.up ? "up" : "LOST",
      after.quarantined
        ? `quarantined (${after.quarantined})`
        : after.canaryHold === "failed"
          ? "canary failed, no work"
          : "in service",
      ...(after.lastVerdict !== undefined ? [`last verdict ${after.lastVerdict}`] : []),
      ...(after.alerts.length > 0 ? [`firing ${after.alerts.join(", ")}`] : []),
    ];
    return [`${gpu} (${short(after.uuid)}) ${state.join(", ")}`];
  }
  const lines: string[] = [];
  if (before.up !== after.up) lines.push(`${gpu} ${after.up ? "is back" : "is LOST"}`);
  if ((before.eccUncorrected ?? 0) === 0 && (after.eccUncorrected ?? 0) > 0) {
    lines.push(`${gpu} reports uncorrected ECC errors (${after.eccUncorrected})`);
  }
  if (before.xids === 0 && after.xids > 0) lines.push(`${gpu} reports an XID error`);
  const alerts = diff(before.alerts, after.alerts);
  for (const name of alerts.added) lines.push(`${gpu} alert ${name} firing`);
  for (const name of alerts.removed) lines.push(`${gpu} alert ${name} resolved`);
  if (after.lastVerdict !== undefined && after.lastVerdict !== before.lastVerdict) {
    lines.push(`${gpu} last verdict ${after.lastVerdict}`);
  }
  if (before.quarantined !== after.quarantined) {
    lines.push(
      after.quarantined !== undefined
        ? `${gpu} is quarantined (${after.quarantined})`
        : `${gpu} is released from quarantine`,
    );
  }
  if (before.canaryHold !== "failed" && after.canaryHold === "failed") {
    lines.push(`${gpu} failed its known-answer canary and gets no work`);
  }
  if (before.canaryHold === "failed" && after.canaryHold === undefined) {
    lines.push(`${gpu} passed its known-answer canary`);
  }
  if (before.drained !== after.drained) {
    lines.push(
      after.drained ? `${gpu} gets no more work from the prover` : `${gpu} gets work again`,
    );
  }
  return lines;
}

/** What changed from one view of the fleet to the next, one line a change. */
export function changes(before: FleetView | undefined, after: FleetView): string[] {
  const lines = after.rows.flatMap((row) =>
    rowChanges(
      before?.rows.find((old) => old.uuid === row.uuid),
      row,
    ),
  );
  for (const row of before?.rows ?? []) {
    if (!after.rows.some((now) => now.uuid === row.uuid)) lines.push(`GPU ${row.gpu} is gone`);
  }
  const host = diff(before?.hostAlerts ?? [], after.hostAlerts);
  for (const name of host.added) lines.push(`host alert ${name} firing`);
  for (const name of host.removed) lines.push(`host alert ${name} resolved`);
  return lines;
}

export class DemoOutput {
  private readonly story: string[] = [];
  private last: FleetView | undefined;
  readonly interactive: boolean;

  /**
   * @param header the lines printed once at start (where each part listens), kept at the top
   *   of the terminal's redraw
   * @param startedAt the demo's start: story lines say how many seconds after it they happened
   */
  constructor(
    private readonly out: OutputStream,
    private readonly header: readonly string[],
    private readonly startedAt = Date.now(),
  ) {
    this.interactive = out.isTTY === true;
  }

  /** A line of the story the demo itself tells (a fault it injects). */
  tell(line: string, now = Date.now()): void {
    const entry = `${String(Math.round((now - this.startedAt) / 1000)).padStart(4)} s  ${line}`;
    this.story.push(entry);
    if (!this.interactive) this.out.write(`${entry}\n`);
  }

  /** A new view of the fleet: its changes are told; a terminal gets the table redrawn. */
  show(view: FleetView, now = Date.now()): void {
    for (const line of changes(this.last, view)) this.tell(line, now);
    this.last = view;
    if (!this.interactive) return;
    const table = renderTable(view, (now - this.startedAt) / 1000);
    this.out.write(
      `\x1b[2J\x1b[H${this.header.join("\n")}\n\n${table}\n\n${this.story.join("\n")}\n`,
    );
  }
}
