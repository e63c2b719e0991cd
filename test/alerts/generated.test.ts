// The committed alerts/*.rules.yml are what `npm run alerts` writes from alerts/src: CI fails
// here when someone edits one side only. An operator's config (--config) changes the labels,
// thresholds, durations and runbook links it names and nothing else.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  defaultConfig,
  durationWords,
  HOST_TEMPLATE,
  mergeConfig,
  renderAll,
  renderGroups,
} from "../../alerts/src/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const ALERTS = join(ROOT, "alerts");
const HINT = "alerts/*.rules.yml is stale: run `npm run alerts` and commit the result";
const PROMTOOL = process.env.PROMTOOL_BINARY ?? "/usr/bin/promtool";

interface ParsedRule {
  /** Absent on a recording rule, which has `record` instead. */
  alert: string;
  record?: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function parseRules(text: string): { name: string; rules: ParsedRule[] }[] {
  return (parse(text) as { groups: { name: string; rules: ParsedRule[] }[] }).groups;
}

/** Runs the build script as an operator would, into a folder of its own. */
function build(args: readonly string[]): { code: number | null; output: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "proofwatch-alerts-"));
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", join(ALERTS, "src/build.ts"), "--out", dir, ...args],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (result.error) throw result.error;
  return { code: result.status, output: `${result.stdout}${result.stderr}`, dir };
}

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe("generated alert rules", () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build([]);
    folders.push(built.dir);
  });

  it("has exactly one committed file per group", () => {
    expect(built.code, built.output).toBe(0);
    const committed = readdirSync(ALERTS).filter((name) => name.endsWith(".rules.yml"));
    const generated = readdirSync(built.dir).filter((name) => name.endsWith(".rules.yml"));
    expect(committed.sort(), HINT).toEqual(generated.sort());
  });

  it("equals the build output byte for byte", () => {
    for (const name of readdirSync(built.dir)) {
      const committed = readFileSync(join(ALERTS, name), "utf8");
      expect(committed === readFileSync(join(built.dir, name), "utf8"), `${name}: ${HINT}`).toBe(
        true,
      );
    }
  });

  it("writes YAML that reads back as the rules the TypeScript defines", () => {
    const texts = renderAll();
    for (const group of renderGroups()) {
      const [parsed] = parseRules(texts.get(group.file) ?? "");
      expect(parsed?.name).toBe(group.name);
      // A multi-line expression is a literal block, which ends in a line break.
      const read = parsed?.rules.map((rule) => ({ ...rule, expr: rule.expr.replace(/\n$/, "") }));
      const rules = read?.filter((rule) => rule.record === undefined);
      // Recording rules come first, so that the alerts of the group can read them.
      expect(read?.slice(0, group.records.length)).toEqual(
        group.records.map(({ record, expr }) => ({ record, expr })),
      );
      expect(rules).toEqual(
        group.rules.map((rule) => ({
          alert: rule.alert,
          expr: rule.expr,
          ...(rule.for ? { for: rule.for } : {}),
          labels: rule.labels,
          annotations: {
            summary: rule.annotations.summary,
            description: rule.annotations.description.join(" "),
            runbook_url: rule.annotations.runbook_url,
          },
        })),
      );
    }
  });
});

describe("an operator's config", () => {
  const site = {
    hostLabel: "node",
    runbookUrlPattern: "https://wiki.example.com/gpu/%s",
    jobSelectors: { exporter: 'job="gpu-metrics", cluster="dc1"' },
    thresholds: { gpuTemperatureCelsius: 80, gpuFatalXids: [79], proverErrorRatio: 0.1 },
    for: { ProofwatchGpuTemperatureHigh: "1h30m", ProofwatchGpuPcieLinkWidthDegraded: "1h" },
  };
  let built: ReturnType<typeof build>;
  let rules: Map<string, ParsedRule>;
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), "proofwatch-alerts-config-"));
    folders.push(dir);
    const file = join(dir, "site.json");
    writeFileSync(file, JSON.stringify(site));
    built = build(["--config", file]);
    folders.push(built.dir);
    rules = new Map(
      readdirSync(built.dir).flatMap((name) =>
        parseRules(readFileSync(join(built.dir, name), "utf8")).flatMap((group) =>
          group.rules.filter((rule) => rule.alert).map((rule) => [rule.alert, rule] as const),
        ),
      ),
    );
  });

  it("gives promtool valid rules", () => {
    expect(built.code, built.output).toBe(0);
    const files = readdirSync(built.dir).map((name) => join(built.dir, name));
    const result = spawnSync(PROMTOOL, ["check", "rules", ...files], { encoding: "utf8" });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it("puts its host label and runbook links on every alert", () => {
    expect(rules.size).toBe(renderGroups().flatMap((g) => g.rules).length);
    for (const [name, rule] of rules) {
      expect(rule.labels.node, name).toBe(HOST_TEMPLATE);
      expect(rule.labels.host, name).toBeUndefined();
      expect(rule.annotations.runbook_url, name).toBe(`https://wiki.example.com/gpu/${name}`);
    }
  });

  it("uses its thresholds, durations and job selector in expressions and texts", () => {
    const hot = rules.get("ProofwatchGpuTemperatureHigh");
    expect(hot?.expr).toBe("proofwatch_gpu_temperature_celsius > 80");
    expect(hot?.for).toBe("1h30m");
    expect(hot?.annotations.summary).toBe("GPU has run above 80 C for 90 minutes.");
    expect(hot?.annotations.description).toContain("above 80 C for 90 minutes");
    // The link alerts' texts count the 10-minute busy window and `for:` together.
    expect(rules.get("ProofwatchGpuPcieLinkWidthDegraded")?.annotations.description).toContain(
      "while busy for 70 minutes",
    );
    expect(rules.get("ProofwatchGpuFatalXid")?.expr).toContain(
      'proofwatch_gpu_xid_errors_total{xid="79"}',
    );
    expect(rules.get("ProofwatchProverErrors")?.expr).toMatch(/\n> 0\.1\n$/);
    expect(rules.get("ProofwatchProverErrors")?.annotations.summary).toMatch(/^More than 10% /);
    expect(rules.get("ProofwatchExporterDown")?.expr).toMatch(
      /^up\{job="gpu-metrics", cluster="dc1"\} == 0\n/,
    );
    // What it leaves alone keeps the default.
    expect(rules.get("ProofwatchProverDown")?.expr).toContain(
      `up{${defaultConfig.jobSelectors.prover}} == 0`,
    );
  });

  it("names the config in each file's header", () => {
    for (const name of readdirSync(built.dir)) {
      expect(readFileSync(join(built.dir, name), "utf8"), name).toContain("site.json's.");
    }
  });

  it("is refused with the reason when a key or value is wrong, and nothing is written", () => {
    const dir = mkdtempSync(join(tmpdir(), "proofwatch-alerts-bad-"));
    folders.push(dir);
    const file = join(dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({ thresholds: { gpuTemp: 80 }, for: { ProofwatchGpuLost: "5 minutes" } }),
    );
    const bad = build(["--config", file]);
    folders.push(bad.dir);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('Unrecognized key: "gpuTemp"');
    expect(bad.output).toContain("for.ProofwatchGpuLost");
    expect(readdirSync(bad.dir)).toEqual([]);
    expect(() => mergeConfig({ hostLabel: "severity" })).toThrow(/hostLabel/);
    expect(() => mergeConfig({ runbookUrlPattern: "https://x/" })).toThrow(/%s/);
  });
});

describe("durations in words", () => {
  it.each([
    ["5m", "5 minutes"],
    ["1h", "1 hour"],
    ["1h30m", "90 minutes"],
    ["1d", "1 day"],
    ["90s", "90 seconds"],
  ])("%s is %s", (duration, words) => {
    expect(durationWords(duration)).toBe(words);
  });
});
