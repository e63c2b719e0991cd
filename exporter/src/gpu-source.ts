// The exporter's view of NVML: initialisation that survives a missing driver, device
// enumeration, and reads under a deadline that a hung driver cannot stretch.

import type { Logger } from "../../common/log.js";
import {
  cudaVersionString,
  DeviceFields,
  fieldGroupMask,
  type GroupMask,
  loadNvml,
  NVML_ERROR_GPU_IS_LOST,
  type NvmlBinding,
  NvmlError,
  type XidEvent,
} from "../../native/index.js";
import { settlesBefore } from "./deadline.js";

export interface GpuIdentity {
  index: number;
  uuid: string;
  name: string;
  serial: string;
  pciBusId: string;
  /** Firmware, read once per identity (it changes only with a GPU reset); "" when unknown. */
  vbiosVersion: string;
  inforomVersion: string;
}

export type GpuState =
  | {
      index: number;
      status: "up";
      identity: GpuIdentity;
      /** This GPU's buffers, overwritten by its next read. */
      values: DeviceFields;
    }
  /** NVML says the GPU fell off the bus, or the handle could not be had. */
  | { index: number; status: "lost"; uuid: string; reason: string }
  /** No answer before the deadline: the driver may be hung on this GPU. */
  | { index: number; status: "unresponsive"; uuid: string; reason: string };

export interface NvmlStatus {
  up: boolean;
  driverVersion: string;
  /** The newest CUDA version the driver supports ("12.4"); "" where NVML cannot tell. */
  cudaDriverVersion: string;
  error?: NvmlError;
}

const RETRY_INIT_MS = 30_000;
const IDENTITY = fieldGroupMask(["identity"]);

export class GpuSource {
  /** Set once nvmlInit has succeeded, so that a retry after a failed enumeration skips it. */
  private nvml: NvmlBinding | undefined;
  private status: NvmlStatus = { up: false, driverVersion: "", cudaDriverVersion: "" };
  private lastInitAttempt = 0;
  /** GPUs NVML enumerated; its device list is fixed at nvmlInit (no hot-plug). */
  private count = 0;
  /** Initialisation and enumeration under way, on the binding's system thread. */
  private opening: Promise<void> | undefined;
  /** The NVML call `opening` waits on, for the log. */
  private openingStep = "";
  /** A scrape's deadline passed with `opening` still pending: later scrapes do not wait. */
  private openingLate = false;
  private closed = false;
  /** Devices whose previous read is still stuck in the driver; no new reads queue behind it. */
  private readonly stuck = new Set<number>();
  /** Last UUID seen per index, so that a lost GPU keeps its identity in `up` series. */
  private readonly knownUuids = new Map<number, string>();
  /** One reading per GPU, reused from scrape to scrape so that a read allocates little. */
  private readonly fields = new Map<number, DeviceFields>();
  /** Each GPU's identity object, kept while unchanged: collectors key their labels on it. */
  private readonly identities = new Map<number, GpuIdentity>();

  constructor(
    private readonly log: Logger,
    private readonly onXid: (event: XidEvent) => void,
  ) {}

  /**
   * Starts NVML's initialisation and enumeration, off the JS thread, unless NVML is up or
   * one is under way; retried at most every 30 s so that a late driver is picked up.
   */
  start(): void {
    if (this.status.up || this.closed || this.opening !== undefined) return;
    const now = Date.now();
    if (now - this.lastInitAttempt < RETRY_INIT_MS) return;
    this.lastInitAttempt = now;
    this.openingLate = false;
    this.opening = this.open().finally(() => {
      this.opening = undefined;
    });
  }

  /**
   * NVML's status for a scrape: start() and wait for it until `deadline` (epoch ms). A hung
   * driver thus delays neither start-up nor /healthz, and no second call joins a pending
   * one; once it has missed one deadline, later scrapes report NVML down without waiting.
   */
  async ensureInit(deadline: number): Promise<NvmlStatus> {
    this.start();
    const opening = this.opening;
    if (opening !== undefined && !this.openingLate && !(await settlesBefore(opening, deadline))) {
      this.openingLate = true;
      this.log.warn(
        `NVML has not answered ${this.openingStep} within the scrape deadline; serving ` +
          "proofwatch_exporter_nvml_up 0 until it does",
      );
    }
    return this.status;
  }

  /** nvmlInit, then the device count and driver version; never rejects. */
  private async open(): Promise<void> {
    try {
      const nvml = loadNvml();
      if (this.nvml === undefined) {
        this.openingStep = "nvmlInit";
        await nvml.initAsync();
        this.nvml = nvml;
        if (this.closed) return this.close();
      }
      this.openingStep = "nvmlDeviceGetCount";
      const count = await nvml.deviceCountAsync();
      this.openingStep = "nvmlSystemGetDriverVersion";
      const driverVersion = await nvml.driverVersionAsync();
      this.openingStep = "nvmlSystemGetCudaDriverVersion_v2";
      // Optional: a driver without it (or refusing it) leaves the label empty.
      const cudaDriverVersion = await nvml
        .cudaDriverVersionAsync()
        .then(cudaVersionString, () => "");
      if (this.closed) return this.close();
      if (this.openingLate) this.log.info("NVML answers again");
      this.count = count;
      this.status = { up: true, driverVersion, cudaDriverVersion };
      const missing = nvml.missingFunctions();
      this.log.info("NVML initialised", {
        driver: driverVersion,
        cuda_driver: cudaDriverVersion || "unknown",
        gpus: count,
        missing_functions: missing.length > 0 ? missing.join(",") : "none",
      });
      this.startEvents(nvml);
    } catch (error) {
      const wasReported = this.status.error?.code;
      const nvmlError = error instanceof NvmlError ? error : undefined;
      this.status = {
        up: false,
        driverVersion: "",
        cudaDriverVersion: "",
        ...(nvmlError ? { error: nvmlError } : {}),
      };
      if (wasReported === undefined || wasReported !== nvmlError?.code) {
        this.log.error(
          `NVML unavailable (${nvmlError?.nvmlName ?? "ERROR"}): ${(error as Error).message}; ` +
            "serving exporter metrics only with proofwatch_exporter_nvml_up 0",
        );
      }
    }
  }

  private startEvents(nvml: NvmlBinding): void {
    nvml.startEvents(this.onXid).catch((error: unknown) => {
      this.log.warn("XID events unavailable", { error: (error as Error).message });
    });
  }

  /** GPUs NVML enumerated; 0 until it is up. */
  deviceCount(): number {
    return this.status.up ? this.count : 0;
  }

  uuidOf(index: number): string {
    return this.knownUuids.get(index) ?? "";
  }

  /**
   * Reads GPUs 0..count-1 at once under one deadline (epoch ms). A GPU that has not answered
   * by then is reported unresponsive and skipped by later scrapes until its read returns, so
   * that reads never queue up behind a call that hangs in the driver.
   */
  async readGpus(count: number, groups: GroupMask, deadline: number): Promise<GpuState[]> {
    const states: (GpuState | undefined)[] = new Array(count).fill(undefined);
    const reads: Promise<GpuState>[] = [];
    for (let index = 0; index < count; index++) {
      reads.push(this.readGpu(index, groups));
    }
    const all = Promise.all(
      reads.map((read, index) =>
        read.then((state) => {
          states[index] = state;
        }),
      ),
    );
    if (await settlesBefore(all, deadline)) return states as GpuState[];
    return states.map((state, index) => {
      if (state !== undefined) return state;
      this.stuck.add(index);
      void reads[index]?.then(() => this.stuck.delete(index));
      const reason = "no answer before the scrape deadline";
      return { index, status: "unresponsive", uuid: this.uuidOf(index), reason };
    });
  }

  /**
   * One read of every field this scrape needs from one GPU, identity included, so that a
   * scrape costs a single native round trip per GPU. Decides whether the GPU is up; never
   * rejects.
   */
  private async readGpu(index: number, groups: GroupMask): Promise<GpuState> {
    const nvml = this.nvml;
    if (nvml === undefined || this.stuck.has(index)) {
      const reason = nvml ? "an earlier NVML call has not returned" : "NVML is not initialised";
      return { index, status: nvml ? "unresponsive" : "lost", uuid: this.uuidOf(index), reason };
    }
    let fields = this.fields.get(index);
    if (fields === undefined) {
      fields = new DeviceFields();
      this.fields.set(index, fields);
    }
    try {
      // Learn a GPU's UUID on its own first, so that even a GPU whose driver hangs on the
      // bigger read below is reported under its identity.
      if (!this.knownUuids.has(index)) {
        const first = await nvml.readFields(index, IDENTITY, fields);
        this.knownUuids.set(index, first.text.uuid ?? "");
      }
      const values = await nvml.readFields(index, (groups | IDENTITY) as GroupMask, fields);
      if (values.hasCode(NVML_ERROR_GPU_IS_LOST)) {
        return {
          index,
          status: "lost",
          uuid: this.uuidOf(index),
          reason: "GPU_IS_LOST during the read",
        };
      }
      const { uuid = this.uuidOf(index), name = "", serial = "", pciBusId = "" } = values.text;
      this.knownUuids.set(index, uuid);
      let identity = this.identities.get(index);
      if (
        identity?.uuid !== uuid ||
        identity.name !== name ||
        identity.serial !== serial ||
        identity.pciBusId !== pciBusId
      ) {
        identity = { index, uuid, name, serial, pciBusId, ...(await this.firmwareOf(nvml, index)) };
        this.identities.set(index, identity);
      }
      return { index, status: "up", identity, values };
    } catch (error) {
      return { index, status: "lost", uuid: this.uuidOf(index), reason: (error as Error).message };
    }
  }

  /**
   * VBIOS and InfoROM versions, read apart from the scrape's fields (into a reading of their
   * own) and only when a GPU's identity is new; "" for what NVML does not give.
   */
  private async firmwareOf(
    nvml: NvmlBinding,
    index: number,
  ): Promise<{ vbiosVersion: string; inforomVersion: string }> {
    const { values } = await nvml.readDevice(index, ["firmware"]);
    return {
      vbiosVersion: values.vbiosVersion ?? "",
      inforomVersion: values.inforomImageVersion ?? "",
    };
  }

  /** Shuts NVML down; an initialisation still pending shuts it down when it returns. */
  close(): void {
    this.closed = true;
    if (!this.nvml) return;
    try {
      this.nvml.stopEvents();
    } finally {
      this.nvml.shutdown();
      this.nvml = undefined;
      this.status = { up: false, driverVersion: "", cudaDriverVersion: "" };
    }
  }
}
