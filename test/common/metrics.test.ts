// The set-up every service's metrics share (common/metrics.ts): what each registry serves
// about the service itself, and gauges read at scrape time whose source has nothing to say or
// fails, which must cost their own samples and nothing else of the scrape.
import { describe, expect, it } from "vitest";
import { createServiceRegistry, fillGauge, readGauge } from "../../common/metrics.js";
import { find, parseExposition } from "../../demo/src/exposition.js";
import { PROCESS_FAMILIES, promtoolCheckMetrics, selfMetrics } from "../helpers/prometheus.js";

describe("service registries", () => {
  it("serve the process metrics and their own build info, side by side in one process", async () => {
    const verifier = createServiceRegistry("verifier");
    const prover = createServiceRegistry("prover");

    const scrapes = [await verifier.metrics(), await prover.metrics()];

    for (const [scrape, component] of [
      [scrapes[0], "verifier"],
      [scrapes[1], "prover"],
    ] as const) {
      const self = selfMetrics(parseExposition(scrape as string));
      expect(self.processFamilies).toEqual(PROCESS_FAMILIES);
      expect(self.buildInfo.map((sample) => sample.labels.component)).toEqual([component]);
      expect(promtoolCheckMetrics(scrape as string)).toEqual({ output: "", status: 0 });
    }
  });
});

describe("gauges read at scrape time", () => {
  it("serve no sample while there is nothing to say, then the value", async () => {
    const registry = createServiceRegistry("prover");
    let at: number | null = null;
    readGauge(registry, "proofwatch_test_timestamp_seconds", "A time.", () => at);

    const before = parseExposition(await registry.metrics());
    at = 1_700_000_000.5;
    const after = parseExposition(await registry.metrics());

    expect(find(before, "proofwatch_test_timestamp_seconds")).toEqual([]);
    expect(find(after, "proofwatch_test_timestamp_seconds").map((s) => s.value)).toEqual([
      1_700_000_000.5,
    ]);
  });

  it("lose only their own samples when their source throws", async () => {
    const registry = createServiceRegistry("verifier");
    let broken = false;
    const read = () => {
      if (broken) throw new Error("database is locked");
      return 3;
    };
    readGauge(registry, "proofwatch_test_depth", "A depth.", read);
    fillGauge(registry, "proofwatch_test_rate", "A rate.", ["uuid"], (set) => {
      set({ uuid: "GPU-a" }, 1);
      set({ uuid: "GPU-b" }, read());
    });
    readGauge(registry, "proofwatch_test_ok", "Always there.", () => 1);

    broken = true;
    const scrape = parseExposition(await registry.metrics());

    expect(find(scrape, "proofwatch_test_depth")).toEqual([]);
    // Not GPU-a alone: half a fill would read as GPU-b gone.
    expect(find(scrape, "proofwatch_test_rate")).toEqual([]);
    expect(find(scrape, "proofwatch_test_ok").map((s) => s.value)).toEqual([1]);
    expect(find(scrape, "proofwatch_build_info")).toHaveLength(1);
  });
});
