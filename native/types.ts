// Public contract of the NVML binding: what exporter/, prover/ and the tests may import.
// The C++ side stays thin (raw NVML units and codes); all policy lives in TypeScript.
import type { DeviceFields } from "./device-fields.js";

/** Groups of fields read together, one NVML round trip batch per group. */
export type FieldGroup =
  | "identity"
  | "utilization"
  | "memory"
  | "thermal"
  | "power"
  | "pcie"
  | "clocks"
  | "ecc"
  | "retiredPages"
  | "remappedRows"
  | "processes"
  /** VBIOS and InfoROM versions: they change only with a GPU reset. */
  | "firmware";

export interface ComputeProcess {
  pid: number;
  /** Bytes; absent when NVML reports NVML_VALUE_NOT_AVAILABLE. */
  usedGpuMemoryBytes?: number;
}

/**
 * Raw values as NVML returns them (NVML's units, not base units).
 * A field is present in `values` when its call returned SUCCESS, otherwise its
 * NVML return code is in `errors` (FUNCTION_NOT_FOUND = 13 when the symbol is missing).
 */
export interface DeviceValues {
  // identity
  uuid?: string;
  name?: string;
  serial?: string;
  pciBusId?: string;
  // firmware
  /** nvmlDeviceGetVbiosVersion, e.g. "96.00.89.00.01". */
  vbiosVersion?: string;
  /** nvmlDeviceGetInforomImageVersion, e.g. "G520.0200.00.05". */
  inforomImageVersion?: string;
  // utilization (nvmlDeviceGetUtilizationRates), percent 0..100
  gpuUtilPercent?: number;
  memoryUtilPercent?: number;
  // memory (nvmlDeviceGetMemoryInfo_v2, falling back to v1), bytes
  memoryTotalBytes?: number;
  memoryUsedBytes?: number;
  memoryFreeBytes?: number;
  memoryReservedBytes?: number;
  // thermal
  temperatureGpuCelsius?: number;
  fanSpeedPercent?: number;
  // power
  powerUsageMilliwatts?: number;
  powerLimitMilliwatts?: number;
  totalEnergyMillijoules?: number;
  performanceState?: number;
  // pcie
  pcieTxKilobytesPerSecond?: number;
  pcieRxKilobytesPerSecond?: number;
  pcieReplayCounter?: number;
  pcieLinkGeneration?: number;
  pcieLinkWidth?: number;
  pcieMaxLinkGeneration?: number;
  pcieMaxLinkWidth?: number;
  // clocks
  smClockMegahertz?: number;
  memoryClockMegahertz?: number;
  /** nvmlDeviceGetCurrentClocksEventReasons (or the older ThrottleReasons) bitmask. */
  clocksEventReasons?: number;
  // ecc (nvmlDeviceGetEccMode, nvmlDeviceGetTotalEccErrors)
  eccModeCurrent?: number;
  eccModePending?: number;
  eccCorrectedVolatile?: number;
  eccCorrectedAggregate?: number;
  eccUncorrectedVolatile?: number;
  eccUncorrectedAggregate?: number;
  // retiredPages (nvmlDeviceGetRetiredPages_v2 counts, nvmlDeviceGetRetiredPagesPendingStatus)
  retiredPagesSingleBitEcc?: number;
  retiredPagesDoubleBitEcc?: number;
  retiredPagesPending?: number;
  // remappedRows (nvmlDeviceGetRemappedRows)
  remappedRowsCorrectable?: number;
  remappedRowsUncorrectable?: number;
  remappedRowsPending?: number;
  remappedRowsFailure?: number;
  // processes (nvmlDeviceGetComputeRunningProcesses_v3)
  computeProcesses?: ComputeProcess[];
}

export type FieldName = keyof DeviceValues;

export interface DeviceReading {
  index: number;
  values: DeviceValues;
  /** NVML return code per field that did not return SUCCESS. */
  errors: Partial<Record<FieldName, number>>;
}

/** A validated set of field groups, as fieldGroupMask() builds it (bit i: FIELD_GROUPS[i]). */
export type GroupMask = number & { readonly __groupMask: unique symbol };

export interface XidEvent {
  /** Device index as nvmlDeviceGetIndex reports it. */
  index: number;
  uuid: string;
  xid: number;
}

export interface NvmlBinding {
  /**
   * Loads PROOFWATCH_NVML_LIBRARY or libnvidia-ml.so.1 and calls nvmlInit_v2, on the JS
   * thread. Throws NvmlError (LIBRARY_NOT_FOUND when dlopen fails). Reference-counted with
   * shutdown().
   */
  init(): void;
  /**
   * init() on the binding's system thread, which runs every call that names no GPU in the
   * order made. Rejects as init() throws; a driver that hangs in nvmlInit leaves the promise
   * pending and the JS thread free, and queues the system calls made after it behind it: the
   * caller applies deadlines and makes no second call while one is pending. Do not mix
   * with a synchronous init() while this one is pending (that one would wait for it).
   */
  initAsync(): Promise<void>;
  shutdown(): void;
  driverVersion(): string;
  /** driverVersion() on the system thread; pending while the driver does not answer. */
  driverVersionAsync(): Promise<string>;
  /**
   * The newest CUDA version the driver supports (nvmlSystemGetCudaDriverVersion_v2, or the
   * unversioned symbol of older drivers), as major * 1000 + minor * 10: 12040 is CUDA 12.4.
   * Throws NvmlError FUNCTION_NOT_FOUND when the driver has neither symbol.
   */
  cudaDriverVersion(): number;
  /** cudaDriverVersion() on the system thread; pending while the driver does not answer. */
  cudaDriverVersionAsync(): Promise<number>;
  deviceCount(): number;
  /**
   * deviceCount() (nvmlDeviceGetCount_v2) on the system thread; pending while the driver does
   * not answer. NVML fixes its device list at nvmlInit, so one answer per init is enough.
   */
  deviceCountAsync(): Promise<number>;
  /** NVML functions that dlsym did not find; their fields report FUNCTION_NOT_FOUND. */
  missingFunctions(): string[];
  /**
   * Reads the fields of `groups` for device `index` on that device's own native thread,
   * never the JS thread. The promise rejects with NvmlError only when the device handle
   * itself cannot be had (GPU_IS_LOST, INVALID_ARGUMENT ...); per-field failures go to
   * `errors`. The caller applies deadlines: a hung call leaves the promise pending.
   */
  readDevice(index: number, groups: readonly FieldGroup[]): Promise<DeviceReading>;
  /**
   * The same read into `into`, overwritten when the promise resolves, for callers that read
   * often and reuse one DeviceFields per GPU (no object per field). Rejects as readDevice.
   */
  readFields(index: number, groups: GroupMask, into: DeviceFields): Promise<DeviceFields>;
  /**
   * Registers every device for critical XID events, on the system thread (it asks the driver
   * for a handle per GPU), then waits on the event set on a thread of its own; each event is
   * delivered to `onEvent` on the JS thread. Resolves once watching has begun (or at once
   * when stopEvents() or the last shutdown() came first); rejects with NvmlError when NVML
   * cannot watch (ALREADY_INITIALIZED when events are already started or starting). Throws
   * TypeError when `onEvent` is not a function. Neither the wait nor a pending registration
   * keeps the process alive.
   */
  startEvents(onEvent: (event: XidEvent) => void): Promise<void>;
  stopEvents(): void;
}
