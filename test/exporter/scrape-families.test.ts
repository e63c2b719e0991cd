import { describe, expect, it } from "vitest";
import { parseExposition } from "../../demo/src/exposition.js";
import { ScrapeFamilies } from "../../exporter/src/scrape-families.js";
import { promtoolCheckMetrics } from "../helpers/prometheus.js";

describe("scrape families in the text format", () => {
  it("escapes label values and help text, and writes special values as Prometheus does", () => {
    const families = new ScrapeFamilies();
    const info = families.perGpu("proofwatch_test_info", "Help with \\ and\nnewline.", "gauge", [
      "name",
    ]);
    info.set({ gpu: "0", uuid: "GPU-a", name: 'say "hi" \\ there\nnow' }, 1);
    const odd = families.perGpu("proofwatch_test_values", "Odd values.", "gauge");
    odd.set({ gpu: "1", uuid: "GPU-b" }, Number.NaN);
    odd.set({ gpu: "2", uuid: "GPU-c" }, Number.POSITIVE_INFINITY);
    odd.set({ gpu: "3", uuid: "GPU-d" }, 1e-3);

    const text = families.render().toString();
    const parsed = parseExposition(text);

    expect(text).toContain("# HELP proofwatch_test_info Help with \\\\ and\\nnewline.");
    expect(parsed.samples[0]?.labels.name).toBe('say "hi" \\ there\nnow');
    expect(parsed.samples.map((sample) => sample.value)).toEqual([1, Number.NaN, Infinity, 0.001]);
    const check = promtoolCheckMetrics(text);
    expect(check.status, check.output).toBe(0);
  });

  it("writes nothing for a family without series, and forgets every series on reset", () => {
    const families = new ScrapeFamilies();
    const temperature = families.perGpu("proofwatch_test_celsius", "Temperature.", "gauge");
    families.perGpu("proofwatch_test_empty", "Never set.", "gauge");
    temperature.set({ gpu: "0", uuid: "GPU-a" }, 61);

    expect(families.render().toString()).not.toContain("proofwatch_test_empty");
    families.reset();
    expect(families.render().toString()).toBe("");
  });

  it("serves a series from its cache and still follows changed label values", () => {
    const families = new ScrapeFamilies();
    const nvmlUp = families.add("proofwatch_test_up", "Up.", "gauge");
    const power = families.perGpu("proofwatch_test_watts", "Power.", "gauge");
    const reasons = families.perGpu("proofwatch_test_reason", "Reasons.", "gauge", ["reason"]);
    const scrape = (uuid: string, watts: number) => {
      families.reset();
      nvmlUp.set({}, 1);
      power.set({ gpu: "0", uuid }, watts);
      reasons.set({ gpu: "0", uuid, reason: "idle" }, 0);
      reasons.set({ gpu: "0", uuid, reason: "power" }, 1);
      return families.render("# before\n").toString();
    };

    expect(scrape("GPU-a", 80.5)).toBe(
      [
        "# before",
        "# HELP proofwatch_test_up Up.",
        "# TYPE proofwatch_test_up gauge",
        "proofwatch_test_up 1",
        "# HELP proofwatch_test_watts Power.",
        "# TYPE proofwatch_test_watts gauge",
        'proofwatch_test_watts{gpu="0",uuid="GPU-a"} 80.5',
        "# HELP proofwatch_test_reason Reasons.",
        "# TYPE proofwatch_test_reason gauge",
        'proofwatch_test_reason{gpu="0",uuid="GPU-a",reason="idle"} 0',
        'proofwatch_test_reason{gpu="0",uuid="GPU-a",reason="power"} 1',
        "",
      ].join("\n"),
    );
    expect(scrape("GPU-a", 90)).toContain('proofwatch_test_watts{gpu="0",uuid="GPU-a"} 90\n');
    // Another GPU in slot 0: new series, none of the old one's.
    const swapped = scrape("GPU-b", 70);
    expect(swapped).toContain('proofwatch_test_reason{gpu="0",uuid="GPU-b",reason="power"} 1');
    expect(swapped).not.toContain("GPU-a");
  });

  it("stays correct past the series cache's cap", () => {
    const families = new ScrapeFamilies();
    const codes = families.perGpu("proofwatch_test_codes", "Codes.", "counter", ["code"]);
    for (let code = 0; code < 10_050; code++) {
      codes.set({ gpu: "0", uuid: "GPU-a", code: String(code) }, code);
    }
    const samples = parseExposition(families.render().toString()).samples;
    expect(samples).toHaveLength(10_050);
    expect(samples[10_049]).toMatchObject({ labels: { code: "10049" }, value: 10_049 });
  });

  it("writes every value as JavaScript's String() does, integers included", () => {
    const families = new ScrapeFamilies();
    const values = families.add("proofwatch_test_value", "Values.", "gauge", ["i"]);
    const cases = [
      0,
      -0,
      7,
      -7,
      10,
      99,
      100,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2 ** 53,
      1e21,
      0.5,
      -1.25,
    ];
    for (let i = 0; i < 200; i++) cases.push(Math.floor(Math.random() * 2 ** (i % 54)));
    cases.forEach((value, i) => {
      values.set({ i: String(i) }, value);
    });
    const lines = families.render().toString().trimEnd().split("\n").slice(2);
    expect(lines).toEqual(
      cases.map((value, i) => `proofwatch_test_value{i="${i}"} ${String(value)}`),
    );
  });
});
