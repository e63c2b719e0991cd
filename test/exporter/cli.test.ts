import { describe, expect, it } from "vitest";
import { DEFAULT_WEB_FLAGS } from "../../common/web/index.js";
import { parseExporterArgs } from "../../exporter/src/cli.js";
import { COLLECTORS } from "../../exporter/src/index.js";

describe("proofwatch exporter flags", () => {
  it("runs every default collector on 0.0.0.0:9840 with a 2 s deadline when given nothing", () => {
    const options = parseExporterArgs([]);
    expect(options).toEqual({
      listen: { host: "0.0.0.0", port: 9840 },
      scrapeDeadlineMs: 2000,
      collectors: COLLECTORS.filter((c) => c.defaultEnabled).map((c) => c.name),
      web: DEFAULT_WEB_FLAGS,
    });
  });

  it("turns collectors off and on by name", () => {
    const options = parseExporterArgs([
      "--no-collector.ecc",
      "--no-collector.pcie",
      "--listen",
      "127.0.0.1:19840",
    ]);
    if (options === "help") throw new Error("unexpected help");
    expect(options.collectors).not.toContain("ecc");
    expect(options.collectors).not.toContain("pcie");
    expect(options.collectors).toContain("memory");
    expect(options.listen).toEqual({ host: "127.0.0.1", port: 19840 });
  });

  it("rejects unknown flags, bad addresses and bad durations with a reason", () => {
    expect(() => parseExporterArgs(["--collector.nonsense"])).toThrow(/nonsense/);
    expect(() => parseExporterArgs(["--listen", "nowhere"])).toThrow(/invalid listen address/);
    expect(() => parseExporterArgs(["--scrape-deadline", "soon"])).toThrow(/invalid duration/);
  });
});
