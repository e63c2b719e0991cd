import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { find, sampleValue } from "../../demo/src/exposition.js";
import { until } from "../helpers/until.js";
import { startTestExporter, type TestExporter } from "./harness.js";

describe("a host without NVIDIA's library", () => {
  let exporter: TestExporter;
  const logged: string[] = [];

  beforeAll(async () => {
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    exporter = await startTestExporter({ library: "/nonexistent/libnvidia-ml.so.1" });
  });
  afterAll(async () => {
    await exporter?.close();
    vi.restoreAllMocks();
  });

  it("starts anyway and says why in one clear log line", async () => {
    // NVML is loaded off the JS thread, after start-up: the line follows shortly.
    const lines = await until(
      () => {
        const found = logged.filter((line) => line.includes("NVML unavailable"));
        return found.length > 0 ? found : undefined;
      },
      "the NVML unavailable line",
      5000,
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("LIBRARY_NOT_FOUND");
    expect(lines[0]).toContain("/nonexistent/libnvidia-ml.so.1");
  });

  it("serves its own metrics with nvml_up 0 and no GPU series", async () => {
    const metrics = await exporter.scrape();
    expect(sampleValue(metrics, "proofwatch_exporter_nvml_up")).toBe(0);
    expect(find(metrics, "proofwatch_gpu_up")).toHaveLength(0);
    expect(sampleValue(metrics, "proofwatch_exporter_build_info")).toBe(1);
  });

  it("does not repeat the log line on every scrape", async () => {
    await exporter.scrape();
    await exporter.scrape();
    expect(logged.filter((line) => line.includes("NVML unavailable"))).toHaveLength(1);
  });

  it("keeps serving /healthz and the index page", async () => {
    expect((await fetch(`${exporter.url}/healthz`)).status).toBe(200);
    const index = await (await fetch(`${exporter.url}/`)).text();
    expect(index).toContain('href="metrics"');
  });
});
