// One scrape: probe every GPU, run the enabled collectors side by side under one deadline,
// and report each collector's duration and success. No collector can fail the scrape.
import type { Registry } from "prom-client";
import type { Logger } from "../../common/log.js";
import { nvmlErrorName } from "../../native/index.js";
import type { Collector, ScrapeContext } from "./collectors/index.js";
import type { GpuIdentity, GpuSource, GpuState } from "./gpu-source.js";
import type { LifetimeMetrics, ScrapeHealthMetrics } from "./self-metrics.js";

export interface NamedCollector {
  name: string;
  collector: Collector;
}

export class Scraper {
  private inFlight: Promise<string> | undefined;
  private readonly lastStatus = new Map<number, GpuState["status"]>();

  constructor(
    private readonly source: GpuSource,
    private readonly collectors: readonly NamedCollector[],
    private readonly scrapeRegistry: Registry,
    private readonly exposedRegistry: Registry,
    private readonly health: ScrapeHealthMetrics,
    private readonly lifetime: LifetimeMetrics,
    private readonly deadlineMs: number,
    private readonly log: Logger,
  ) {}

  /** Concurrent scrapes share one collection: the metrics are rebuilt in place. */
  scrape(): Promise<string> {
    this.inFlight ??= this.collect().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async collect(): Promise<string> {
    this.scrapeRegistry.resetMetrics();
    const status = this.source.ensureInit();
    this.health.nvmlUp.set(status.up ? 1 : 0);
    if (status.up) await this.collectGpus(status.driverVersion);
    return this.exposedRegistry.metrics();
  }

  private async collectGpus(driverVersion: string): Promise<void> {
    const deadline = Date.now() + this.deadlineMs;
    const count = this.countGpus();
    this.health.gpusDetected.set(count);
    const states = await Promise.all(
      Array.from({ length: count }, (_, index) => this.source.probe(index, deadline)),
    );
    const upGpus: GpuIdentity[] = [];
    for (const state of states) {
      this.noteTransition(state);
      const uuid = state.status === "up" ? state.identity.uuid : state.uuid;
      this.health.gpuUp.set({ gpu: String(state.index), uuid }, state.status === "up" ? 1 : 0);
      if (state.status === "up") upGpus.push(state.identity);
    }

    const failed = new Set<number>();
    const context: ScrapeContext = {
      driverVersion,
      gpus: upGpus,
      read: (gpu, groups) => this.source.read(gpu.index, groups, deadline),
      markFailed: (gpu, reason) => {
        if (!failed.has(gpu.index))
          this.log.debug("GPU collection failed", { gpu: gpu.index, reason });
        failed.add(gpu.index);
      },
      countFieldError: (collector, code) =>
        this.lifetime.fieldErrors.inc({ collector, code: nvmlErrorName(code) }),
    };
    await Promise.all(this.collectors.map((named) => this.runCollector(named, context)));

    for (const state of states) {
      const uuid = state.status === "up" ? state.identity.uuid : state.uuid;
      const ok = state.status === "up" && !failed.has(state.index);
      this.health.gpuCollectionSuccess.set({ gpu: String(state.index), uuid }, ok ? 1 : 0);
    }
  }

  private countGpus(): number {
    try {
      return this.source.deviceCount();
    } catch (error) {
      this.log.warn("NVML device count failed", { error: (error as Error).message });
      return 0;
    }
  }

  private async runCollector({ name, collector }: NamedCollector, context: ScrapeContext) {
    const started = process.hrtime.bigint();
    let ok = 1;
    try {
      await collector.collect(context);
    } catch (error) {
      ok = 0;
      this.log.debug("collector failed", { collector: name, error: (error as Error).message });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.health.collectorDuration.set({ collector: name }, seconds);
    this.health.collectorSuccess.set({ collector: name }, ok);
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
