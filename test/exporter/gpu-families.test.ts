import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseExposition } from "../../common/exposition.js";
import { GpuFamilies } from "../../exporter/src/gpu-families.js";

describe("per-GPU families in the text format", () => {
  it("escapes label values and help text, and writes special values as Prometheus does", () => {
    const families = new GpuFamilies();
    const info = families.add("proofwatch_test_info", "Help with \\ and\nnewline.", "gauge", [
      "name",
    ]);
    info.set({ gpu: "0", uuid: "GPU-a", name: 'say "hi" \\ there\nnow' }, 1);
    const odd = families.add("proofwatch_test_values", "Odd values.", "gauge");
    odd.set({ gpu: "1", uuid: "GPU-b" }, Number.NaN);
    odd.set({ gpu: "2", uuid: "GPU-c" }, Number.POSITIVE_INFINITY);
    odd.set({ gpu: "3", uuid: "GPU-d" }, 1e-3);

    const text = families.render();
    const parsed = parseExposition(text);

    expect(text).toContain("# HELP proofwatch_test_info Help with \\\\ and\\nnewline.");
    expect(parsed.samples[0]?.labels.name).toBe('say "hi" \\ there\nnow');
    expect(parsed.samples.map((sample) => sample.value)).toEqual([1, Number.NaN, Infinity, 0.001]);
    const check = spawnSync("/usr/bin/promtool", ["check", "metrics"], {
      input: text,
      encoding: "utf8",
    });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it("writes nothing for a family without series, and forgets every series on reset", () => {
    const families = new GpuFamilies();
    const temperature = families.add("proofwatch_test_celsius", "Temperature.", "gauge");
    families.add("proofwatch_test_empty", "Never set.", "gauge");
    temperature.set({ gpu: "0", uuid: "GPU-a" }, 61);

    expect(families.render()).not.toContain("proofwatch_test_empty");
    families.reset();
    expect(families.render()).toBe("");
  });
});
