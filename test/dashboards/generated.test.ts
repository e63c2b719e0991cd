// The committed dashboards/json/*.json are what `npm run dashboards` writes from
// dashboards/src: CI fails here when someone edits one side only.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultConfig, mergeConfig } from "../../alerts/src/index.js";
import { packageRoot } from "../../common/package-root.js";
import { renderAll } from "../../dashboards/src/index.js";
import { DATASOURCE } from "../../dashboards/src/variables.js";

const jsonDir = join(packageRoot(), "dashboards/json");
const HINT = "dashboards/json is stale: run `npm run dashboards` and commit the result";

describe("generated dashboards", () => {
  const rendered = renderAll();

  it("has exactly one committed file per dashboard", () => {
    const committed = readdirSync(jsonDir).filter((name) => name.endsWith(".json"));
    expect(committed.sort(), HINT).toEqual([...rendered.keys()].sort());
  });

  for (const [name, text] of rendered) {
    it(`${name} equals the build output byte for byte`, () => {
      expect(readFileSync(join(jsonDir, name), "utf8") === text, HINT).toBe(true);
    });
  }

  it("gives every panel but rows a query on the datasource variable", () => {
    for (const [name, text] of rendered) {
      const dashboard = JSON.parse(text) as {
        panels: Array<{
          type: string;
          title: string;
          datasource?: { uid: string };
          targets?: Array<{ expr?: string; refId?: string }>;
        }>;
      };
      for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
        const where = `${name} "${panel.title}"`;
        expect(panel.datasource, where).toEqual(DATASOURCE);
        expect(panel.targets?.length, where).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect(target.expr, where).toBeTruthy();
          expect(target.refId, where).toMatch(/^[A-Z]$/);
        }
      }
    }
  });

  it("gives every panel a unique id and every dashboard a unique uid", () => {
    const uids = new Set<string>();
    for (const [name, text] of rendered) {
      const dashboard = JSON.parse(text) as {
        uid: string;
        panels: Array<{ id: number; panels?: Array<{ id: number }> }>;
      };
      uids.add(dashboard.uid);
      const ids = dashboard.panels.flatMap((panel) => [
        panel.id,
        ...(panel.panels ?? []).map((inner) => inner.id),
      ]);
      expect(new Set(ids).size, name).toBe(ids.length);
    }
    expect(uids.size).toBe(rendered.size);
  });

  // Issue 17: the GPU dashboard said 87 °C while the rule fired above 85 °C. Both now read the
  // alerts' config, and an operator's config moves them together.
  it.each([
    ["the default config", defaultConfig],
    ["an operator's config", mergeConfig({ thresholds: { gpuTemperatureCelsius: 78 } })],
  ])("shows the temperature alert's threshold with %s", (_, config) => {
    const hot = config.thresholds.gpuTemperatureCelsius;
    type Steps = { steps: Array<{ value: number | null; color: string }> };
    type Panel = {
      title: string;
      description: string;
      fieldConfig: {
        defaults: { thresholds: Steps };
        overrides: Array<{
          matcher: { options: string };
          properties: Array<{ id: string; value: unknown }>;
        }>;
      };
    };
    const rendered = renderAll(config);
    const panels = (file: string) =>
      (JSON.parse(rendered.get(file) ?? "{}") as { panels: Panel[] }).panels;
    const red = (thresholds: Steps | undefined) =>
      thresholds?.steps.find((step) => step.color === "red")?.value;

    const detail = panels("gpu-detail.json").find((panel) => panel.title === "Temperature");
    expect(red(detail?.fieldConfig.defaults.thresholds)).toBe(hot);
    expect(detail?.description).toContain(
      `ProofwatchGpuTemperatureHigh fires above ${hot} °C for 10 minutes`,
    );
    const column = panels("fleet-overview.json")
      .find((panel) => panel.title === "GPUs")
      ?.fieldConfig.overrides.find((o) => o.matcher.options === "Temperature")
      ?.properties.find((property) => property.id === "thresholds");
    expect(red(column?.value as Steps | undefined)).toBe(hot);
  });
});
