// Starts the real exporter, through the real addon, on fake-nvml with a scenario the test writes.
import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_WEB_FLAGS, type WebFlags } from "../../common/web/index.js";
import { type Exposition, parseExposition } from "../../demo/src/exposition.js";
import {
  COLLECTORS,
  type ExporterOptions,
  type RunningExporter,
  startExporter,
} from "../../exporter/src/index.js";
import { fakeNvmlLibraryPath } from "../../native/index.js";

export type Scenario = Record<string, unknown>;

export class ScenarioFile {
  readonly path: string;

  constructor(initial: Scenario) {
    this.path = join(mkdtempSync(join(tmpdir(), "proofwatch-scenario-")), "scenario.json");
    this.write(initial);
  }

  /** Replaces the file atomically, as fake-nvml re-reads it on change. */
  write(scenario: Scenario): void {
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify(scenario));
    renameSync(temporary, this.path);
  }
}

export interface TestExporter extends RunningExporter {
  scrape(): Promise<Exposition>;
  scrapeText(): Promise<string>;
}

export async function startTestExporter(
  scenario: ScenarioFile | { library: string },
  options: {
    scrapeDeadlineMs?: number;
    collectors?: string[];
    web?: WebFlags;
    podResources?: ExporterOptions["podResources"];
  } = {},
): Promise<TestExporter> {
  if ("library" in scenario) {
    process.env.PROOFWATCH_NVML_LIBRARY = scenario.library;
  } else {
    process.env.PROOFWATCH_NVML_LIBRARY = fakeNvmlLibraryPath();
    process.env.FAKE_NVML_SCENARIO = scenario.path;
  }
  const exporter = await startExporter({
    listen: { host: "127.0.0.1", port: 0 },
    collectors: options.collectors ?? COLLECTORS.map((c) => c.name),
    scrapeDeadlineMs: options.scrapeDeadlineMs ?? 2000,
    web: options.web ?? DEFAULT_WEB_FLAGS,
    ...(options.podResources ? { podResources: options.podResources } : {}),
  });
  const scrapeText = async () => {
    const response = await fetch(`${exporter.url}/metrics`);
    if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
    return response.text();
  };
  return { ...exporter, scrapeText, scrape: async () => parseExposition(await scrapeText()) };
}

/** A GPU with a distinct, known value for every field, so conversions can be checked. */
export function fullGpu(index: number): Scenario {
  return {
    uuid: `GPU-00000000-0000-0000-0000-00000000000${index}`,
    name: "NVIDIA H100 80GB HBM3",
    serial: `165012345678${index}`,
    pciBusId: `00000000:1${index}:00.0`,
    fields: {
      gpuUtilPercent: 87,
      memoryUtilPercent: 41,
      memoryTotalBytes: 85_520_809_984,
      memoryUsedBytes: 60_000_000_000,
      memoryFreeBytes: 25_000_000_000,
      memoryReservedBytes: 520_809_984,
      temperatureGpuCelsius: 61 + index,
      fanSpeedPercent: 35,
      powerUsageMilliwatts: 512_345,
      powerLimitMilliwatts: 700_000,
      totalEnergyMillijoules: 9_876_543_210,
      performanceState: 0,
      pcieTxKilobytesPerSecond: 2048,
      pcieRxKilobytesPerSecond: 4096,
      pcieReplayCounter: 3,
      pcieLinkGeneration: 5,
      pcieLinkWidth: 16,
      pcieMaxLinkGeneration: 5,
      pcieMaxLinkWidth: 16,
      smClockMegahertz: 1980,
      memoryClockMegahertz: 2619,
      clocksEventReasons: 0x4 | 0x40,
      eccModeCurrent: 1,
      eccModePending: 1,
      eccCorrectedVolatile: 12,
      eccCorrectedAggregate: 120,
      eccUncorrectedVolatile: 1,
      eccUncorrectedAggregate: 2,
      retiredPagesSingleBitEcc: 4,
      retiredPagesDoubleBitEcc: 1,
      retiredPagesPending: 0,
      remappedRowsCorrectable: 7,
      remappedRowsUncorrectable: 2,
      remappedRowsPending: 1,
      remappedRowsFailure: 0,
    },
    processes: [
      { pid: 4242, usedGpuMemoryBytes: 1_000_000_000 },
      { pid: 4343, usedGpuMemoryBytes: 500_000_000 },
    ],
  };
}

export const labelsOfGpu = (index: number) => ({
  gpu: String(index),
  uuid: `GPU-00000000-0000-0000-0000-00000000000${index}`,
});
