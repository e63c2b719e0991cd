// Loads the proofwatch_nvml addon and checks every argument before it reaches native code.
// Native failures surface as NvmlError only: the addon constructs it through the class we
// hand it at load (better-sqlite3's SqliteError pattern), so `instanceof` works everywhere.
import { createRequire } from "node:module";
import { join } from "node:path";
import { packageRoot } from "../common/package-root.js";
import { DeviceFields, FIELD_NAMES, type TextValues } from "./device-fields.js";
import type { DeviceReading, FieldGroup, GroupMask, NvmlBinding, XidEvent } from "./types.js";

export { DeviceFields, FIELD_NAMES, type NumericField, type TextValues } from "./device-fields.js";

export type {
  ComputeProcess,
  DeviceReading,
  DeviceValues,
  FieldGroup,
  FieldName,
  GroupMask,
  NvmlBinding,
  XidEvent,
} from "./types.js";

/** NVML return codes (nvmlReturn_t) that policy code branches on. */
export const NVML_SUCCESS = 0;
export const NVML_ERROR_UNINITIALIZED = 1;
export const NVML_ERROR_INVALID_ARGUMENT = 2;
export const NVML_ERROR_NOT_SUPPORTED = 3;
export const NVML_ERROR_NO_PERMISSION = 4;
export const NVML_ERROR_TIMEOUT = 10;
export const NVML_ERROR_LIBRARY_NOT_FOUND = 12;
export const NVML_ERROR_FUNCTION_NOT_FOUND = 13;
export const NVML_ERROR_GPU_IS_LOST = 15;
export const NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25;
export const NVML_ERROR_UNKNOWN = 999;

const ERROR_NAMES: Readonly<Record<number, string>> = {
  0: "SUCCESS",
  1: "UNINITIALIZED",
  2: "INVALID_ARGUMENT",
  3: "NOT_SUPPORTED",
  4: "NO_PERMISSION",
  5: "ALREADY_INITIALIZED",
  6: "NOT_FOUND",
  7: "INSUFFICIENT_SIZE",
  8: "INSUFFICIENT_POWER",
  9: "DRIVER_NOT_LOADED",
  10: "TIMEOUT",
  11: "IRQ_ISSUE",
  12: "LIBRARY_NOT_FOUND",
  13: "FUNCTION_NOT_FOUND",
  14: "CORRUPTED_INFOROM",
  15: "GPU_IS_LOST",
  16: "RESET_REQUIRED",
  17: "OPERATING_SYSTEM",
  18: "LIB_RM_VERSION_MISMATCH",
  19: "IN_USE",
  20: "MEMORY",
  21: "NO_DATA",
  22: "VGPU_ECC_NOT_SUPPORTED",
  23: "INSUFFICIENT_RESOURCES",
  24: "FREQ_NOT_SUPPORTED",
  25: "ARGUMENT_VERSION_MISMATCH",
  26: "DEPRECATED",
  27: "NOT_READY",
  28: "GPU_NOT_FOUND",
  29: "INVALID_STATE",
  999: "UNKNOWN",
};

/** "GPU_IS_LOST" for 15; the same names the native side uses. */
export function nvmlErrorName(code: number): string {
  return ERROR_NAMES[code] ?? `UNKNOWN_${code}`;
}

/** Every failure of the native binding: the NVML return code and its name. */
export class NvmlError extends Error {
  readonly code: number;
  readonly nvmlName: string;

  constructor(message: string, code: number) {
    super(message);
    this.name = "NvmlError";
    this.code = code;
    this.nvmlName = nvmlErrorName(code);
  }
}

export const FIELD_GROUPS: readonly FieldGroup[] = [
  "identity",
  "utilization",
  "memory",
  "thermal",
  "power",
  "pcie",
  "clocks",
  "ecc",
  "retiredPages",
  "remappedRows",
  "processes",
  "firmware",
];

/** The addon's exports, as addon.cc defines them. */
interface NativeAddon {
  setErrorClass(ctor: new (message: string, code: number) => NvmlError): void;
  init(): void;
  initAsync(): Promise<void>;
  shutdown(): void;
  driverVersion(): string;
  driverVersionAsync(): Promise<string>;
  cudaDriverVersion(): number;
  cudaDriverVersionAsync(): Promise<number>;
  deviceCount(): number;
  deviceCountAsync(): Promise<number>;
  missingFunctions(): string[];
  fieldNames(): string[];
  groupNames(): string[];
  /** Fills numbers and codes (one slot per fieldNames() entry) and resolves the rest. */
  readDevice(
    index: number,
    groups: number,
    numbers: Float64Array,
    codes: Int32Array,
  ): Promise<TextValues>;
  /** Throws at once (TypeError, UNINITIALIZED, ALREADY_INITIALIZED ...), else settles later. */
  startEvents(onEvent: (event: XidEvent) => void): Promise<void>;
  stopEvents(): void;
}

export { packageRoot };

/** Absolute path of the fake libnvidia-ml that binding.gyp builds (target fake_nvml). */
export function fakeNvmlLibraryPath(): string {
  return join(packageRoot(), "build", "Release", "fake_nvml.so");
}

/** Absolute path of the stand-alone probe executable (target nvml_probe). */
export function nvmlProbePath(): string {
  return join(packageRoot(), "build", "Release", "nvml_probe");
}

let addon: NativeAddon | undefined;

function loadAddon(): NativeAddon {
  if (addon !== undefined) return addon;
  const require = createRequire(import.meta.url);
  const loaded = require(
    join(packageRoot(), "build", "Release", "proofwatch_nvml.node"),
  ) as NativeAddon;
  loaded.setErrorClass(NvmlError);
  // The compact readings are laid out by these two lists; an addon built from other sources
  // would put values under the wrong names.
  checkLayout("fields", loaded.fieldNames(), FIELD_NAMES);
  checkLayout("field groups", loaded.groupNames(), FIELD_GROUPS);
  addon = loaded;
  return loaded;
}

function checkLayout(what: string, native: string[], ours: readonly string[]): void {
  if (native.join() !== ours.join()) {
    throw new Error(
      `proofwatch_nvml.node has other ${what} than native/: rebuild it (npm run build)`,
    );
  }
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > 0xffff_ffff) {
    throw new TypeError(`device index must be an integer in [0, 2^32), got ${String(index)}`);
  }
}

/** The mask readFields() takes for `groups`; throws TypeError on a name that is not a group. */
export function fieldGroupMask(groups: readonly FieldGroup[]): GroupMask {
  if (!Array.isArray(groups)) throw new TypeError("groups must be an array of field groups");
  let mask = 0;
  for (const group of groups) {
    const bit = FIELD_GROUPS.indexOf(group);
    if (bit < 0) throw new TypeError(`unknown field group ${JSON.stringify(group)}`);
    mask |= 1 << bit;
  }
  return mask as GroupMask;
}

const ALL_GROUPS = fieldGroupMask(FIELD_GROUPS);

class Binding implements NvmlBinding {
  readonly #native: NativeAddon;

  constructor(native: NativeAddon) {
    this.#native = native;
  }

  init(): void {
    this.#native.init();
  }

  initAsync(): Promise<void> {
    return this.#native.initAsync();
  }

  shutdown(): void {
    this.#native.shutdown();
  }

  driverVersion(): string {
    return this.#native.driverVersion();
  }

  driverVersionAsync(): Promise<string> {
    return this.#native.driverVersionAsync();
  }

  cudaDriverVersion(): number {
    return this.#native.cudaDriverVersion();
  }

  cudaDriverVersionAsync(): Promise<number> {
    return this.#native.cudaDriverVersionAsync();
  }

  deviceCount(): number {
    return this.#native.deviceCount();
  }

  deviceCountAsync(): Promise<number> {
    return this.#native.deviceCountAsync();
  }

  missingFunctions(): string[] {
    return this.#native.missingFunctions();
  }

  async readDevice(index: number, groups: readonly FieldGroup[]): Promise<DeviceReading> {
    const fields = await this.readFields(index, fieldGroupMask(groups), new DeviceFields());
    return fields.toReading(index);
  }

  readFields(index: number, groups: GroupMask, into: DeviceFields): Promise<DeviceFields> {
    try {
      checkIndex(index);
      if (!Number.isInteger(groups) || (groups & ~ALL_GROUPS) !== 0) {
        throw new TypeError(`groups must be a fieldGroupMask(), got ${String(groups)}`);
      }
      return this.#native.readDevice(index, groups, into.numbers, into.codes).then((text) => {
        into.text = text;
        return into;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  startEvents(onEvent: (event: XidEvent) => void): Promise<void> {
    if (typeof onEvent !== "function") throw new TypeError("onEvent must be a function");
    try {
      return this.#native.startEvents(onEvent);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  stopEvents(): void {
    this.#native.stopEvents();
  }
}

let binding: NvmlBinding | undefined;

/**
 * The process's binding. Loading the addon does not touch NVML; init() does, reading
 * PROOFWATCH_NVML_LIBRARY at that moment.
 *
 * A readDevice(), initAsync(), deviceCountAsync() or driverVersionAsync() whose NVML call
 * hangs keeps its promise, and so the event loop, alive, as a hung filesystem call would;
 * callers race it against their own deadline.
 */
export function loadNvml(): NvmlBinding {
  binding ??= new Binding(loadAddon());
  return binding;
}

/** NVML's and CUDA's encoding of a CUDA version (major * 1000 + minor * 10) as "12.4". */
export function cudaVersionString(encoded: number): string {
  return `${Math.floor(encoded / 1000)}.${Math.floor((encoded % 1000) / 10)}`;
}
