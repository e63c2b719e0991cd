// Durations as Prometheus writes them (prometheus/common model.ParseDuration): whole numbers
// with units from the largest down, each at most once, e.g. 1h30m, 1d, 1w, 500ms, 1y; "0" alone
// is zero. One parser for every flag and config file, so each takes what Prometheus takes.
const UNITS = [
  ["y", 365 * 24 * 3_600_000],
  ["w", 7 * 24 * 3_600_000],
  ["d", 24 * 3_600_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
] as const;

const PATTERN = new RegExp(`^${UNITS.map(([unit]) => `(?:(\\d+)${unit})?`).join("")}$`);

/** Parses a Prometheus duration ("1h30m", "1d", "500ms") into milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === "0") return 0;
  const match = trimmed === "" ? null : PATTERN.exec(trimmed);
  if (!match) {
    throw new Error(
      `invalid duration "${text}": expected whole numbers with units y, w, d, h, m, s, ms ` +
        "from largest to smallest, e.g. 500ms, 2s, 1h30m, 1d",
    );
  }
  const ms = UNITS.reduce((sum, [, size], i) => sum + Number(match[i + 1] ?? 0) * size, 0);
  if (!Number.isSafeInteger(ms)) throw new Error(`invalid duration "${text}": too long`);
  return ms;
}
