import { describe, expect, it } from "vitest";
import { parseDuration } from "../../common/duration.js";

describe("parseDuration (Prometheus' syntax)", () => {
  it.each([
    ["0", 0],
    ["500ms", 500],
    ["2s", 2000],
    ["1m", 60_000],
    ["1h30m", 5_400_000],
    ["1d", 86_400_000],
    ["1w", 604_800_000],
    ["1y", 31_536_000_000],
    ["1w2d3h4m5s6ms", 604_800_000 + 2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5000 + 6],
    [" 5s ", 5000],
    ["0s", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "5", "1.5s", "-1s", "30m1h", "1h1h", "1 h", "1H", "10sec", "ms", "9999999999999y"])(
    "refuses %j with the accepted syntax",
    (text) => {
      expect(() => parseDuration(text)).toThrow(
        /invalid duration.*(e\.g\. 500ms, 2s, 1h30m|too long)/,
      );
    },
  );
});
