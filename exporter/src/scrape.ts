// One scrape: a single NVML read per GPU under one deadline, then every enabled collector
// turns the readings into metrics. No collector and no GPU can fail the scrape.
import type { Registry } from "prom-client";
import type { Logger } from "../../common/log.js";
import {
  FIELD_NAMES,
  type FieldGroup,
  fieldGroupMask,
  type GroupMask,
  NVML_ERROR_FUNCTION_NOT_FOUND,
  NVML_ERROR_NOT_SUPPORTED,
  nvmlErrorName,
} from "../../native/index.js";
import type { Collector, GpuReading, ScrapeContext } from "./collectors/index.js";
import type { GpuSource, GpuState, NvmlStatus } from "./gpu-source.js";
import type { ScrapeFamilies } from "./scrape-families.js";
import type { LifetimeMetrics, ScrapeHealthMetrics } from "./self-metrics.js";

export interface NamedCollector {
  name: string;
  groups: readonly FieldGroup[];
  collector: Collector;
}

/** Series that come from elsewhere than NVML, written into every scrape from memory. */
export interface ScrapeSource {
  collect(): void;
}

/** A collector with the labels of its own health series, built once rather than per scrape. */
type LabelledCollector = NamedCollector & { labels: { collector: string } };

const NO_LABELS = {};

/** Codes that mean "this GPU or driver has no such value": the series is simply absent. */
const NO_VALUE_CODES = new Set([NVML_ERROR_NOT_SUPPORTED, NVML_ERROR_FUNCTION_NOT_FOUND]);

export class Scraper {
  private inFlight: Promise<Buffer> | undefined;
  private readonly lastStatus = new Map<number, GpuState["status"]>();
  private readonly groups: GroupMask;
  private readonly collectors: readonly LabelledCollector[];

  constructor(
    private readonly source: GpuSource,
    collectors: readonly NamedCollector[],
    /** prom-client metrics that outlive a scrape, written before this scrape's families. */
    private readonly lifetimeRegistry: Registry,
    private readonly families: ScrapeFamilies,
    private readonly health: ScrapeHealthMetrics,
    private readonly lifetime: LifetimeMetrics,
    private readonly deadlineMs: number,
    private readonly log: Logger,
    /** Written whether or not NVML is up (pod attribution). */
    private readonly others: readonly ScrapeSource[] = [],
  ) {
    // Identity always: it tells whether the GPU in that slot is still the same one.
    this.groups = fieldGroupMask(["identity", ...collectors.flatMap((named) => named.groups)]);
    this.collectors = collectors.map((named) => ({ ...named, labels: { collector: named.name } }));
  }

  /** Concurrent scrapes share one collection: the metrics are rebuilt in place. */
  scrape(): Promise<Buffer> {
    this.inFlight ??= this.collect().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async collect(): Promise<Buffer> {
    this.families.reset();
    // One deadline for the whole scrape: NVML's initialisation, if pending, and the reads.
    const deadline = Date.now() + this.deadlineMs;
    const status = await this.source.ensureInit(deadline);
    this.health.nvmlUp.set(NO_LABELS, status.up ? 1 : 0);
    if (status.up) await this.collectGpus(status, deadline);
    for (const other of this.others) other.collect();
    return this.families.render(await this.lifetimeRegistry.metrics());
  }

  private async collectGpus(
    { driverVersion, cudaDriverVersion }: NvmlStatus,
    deadline: number,
  ): Promise<void> {
    const count = this.source.deviceCount();
    this.health.gpusDetected.set(NO_LABELS, count);
    const states = await this.source.readGpus(count, this.groups, deadline);

    const readings: GpuReading[] = [];
    for (const state of states) {
      this.noteTransition(state);
      const read = state.status === "up";
      const labels = { gpu: String(state.index), uuid: read ? state.identity.uuid : state.uuid };
      // A late answer is not a lost GPU: `up` stays 1 and only the collection fails, so
      // that a slow driver pages as a collection problem and does not quarantine the GPU.
      this.health.gpuUp.set(labels, state.status === "lost" ? 0 : 1);
      this.health.gpuCollectionSuccess.set(labels, read ? 1 : 0);
      if (!read) continue;
      readings.push({ gpu: state.identity, values: state.values });
      const codes = state.values.codes;
      for (let field = 0; field < codes.length; field++) {
        const code = codes[field] as number;
        if (code !== 0 && !NO_VALUE_CODES.has(code)) {
          this.lifetime.fieldErrors.inc({ field: FIELD_NAMES[field], code: nvmlErrorName(code) });
        }
      }
    }

    const context: ScrapeContext = { driverVersion, cudaDriverVersion };
    for (const named of this.collectors) this.runCollector(named, readings, context);
  }

  /** A collector that throws loses its own series for this scrape, never the scrape. */
  private runCollector(
    { name, collector, labels }: LabelledCollector,
    readings: readonly GpuReading[],
    context: ScrapeContext,
  ): void {
    const started = process.hrtime.bigint();
    let ok = 1;
    try {
      collector.collect(readings, context);
    } catch (error) {
      ok = 0;
      this.log.warn("collector failed", { collector: name, error: (error as Error).message });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.health.collectorDuration.set(labels, seconds);
    this.health.collectorSuccess.set(labels, ok);
  }

  /** Logs a GPU's change of state once, not on every scrape. */
  private noteTransition(state: GpuState): void {
    const previous = this.lastStatus.get(state.index);
    this.lastStatus.set(state.index, state.status);
    if (previous === state.status || (previous === undefined && state.status === "up")) return;
    if (state.status === "up") {
      this.log.info("GPU answers again", { gpu: state.index, uuid: state.identity.uuid });
    } else {
      this.log.warn(`GPU ${state.status}`, {
        gpu: state.index,
        uuid: state.uuid,
        reason: state.reason,
      });
    }
  }
}
