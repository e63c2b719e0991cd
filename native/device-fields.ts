// A GPU's reading in the addon's compact form, which a caller can reuse from read to read:
// every number in one Float64Array (NaN where NVML gave none) and every return code in one
// Int32Array, both by field index, and only the strings and the process list as JS values.
// The exporter reads each GPU on every scrape, and the object per field that readDevice
// returns was ~4.5 KB of garbage per GPU per read (bench/RESULTS.md).
import type { DeviceReading, DeviceValues, FieldName } from "./types.js";

/** Every field, in the order of DeviceReading::ForEachField in native/src/device_reader.h. */
export const FIELD_NAMES = [
  "uuid",
  "name",
  "serial",
  "pciBusId",
  "vbiosVersion",
  "inforomImageVersion",
  "gpuUtilPercent",
  "memoryUtilPercent",
  "memoryTotalBytes",
  "memoryUsedBytes",
  "memoryFreeBytes",
  "memoryReservedBytes",
  "temperatureGpuCelsius",
  "fanSpeedPercent",
  "powerUsageMilliwatts",
  "powerLimitMilliwatts",
  "totalEnergyMillijoules",
  "performanceState",
  "pcieTxKilobytesPerSecond",
  "pcieRxKilobytesPerSecond",
  "pcieReplayCounter",
  "pcieLinkGeneration",
  "pcieLinkWidth",
  "pcieMaxLinkGeneration",
  "pcieMaxLinkWidth",
  "smClockMegahertz",
  "memoryClockMegahertz",
  "clocksEventReasons",
  "eccModeCurrent",
  "eccModePending",
  "eccCorrectedVolatile",
  "eccCorrectedAggregate",
  "eccUncorrectedVolatile",
  "eccUncorrectedAggregate",
  "retiredPagesSingleBitEcc",
  "retiredPagesDoubleBitEcc",
  "retiredPagesPending",
  "remappedRowsCorrectable",
  "remappedRowsUncorrectable",
  "remappedRowsPending",
  "remappedRowsFailure",
  "computeProcesses",
] as const satisfies readonly FieldName[];

// A field added to DeviceValues but not to the list above fails to compile here.
const everyFieldListed: Exclude<FieldName, (typeof FIELD_NAMES)[number]> extends never
  ? true
  : never = true;
void everyFieldListed;

/** Fields whose value is a number, kept in `numbers`. */
export type NumericField = {
  [K in FieldName]-?: NonNullable<DeviceValues[K]> extends number ? K : never;
}[FieldName];
/** The strings (identity) and the process list: what stays a JS value. */
export type TextValues = Omit<DeviceValues, NumericField>;

const FIELD_INDEX = Object.fromEntries(FIELD_NAMES.map((name, index) => [name, index])) as Record<
  FieldName,
  number
>;

export class DeviceFields {
  /** Each numeric field's value, by index in FIELD_NAMES; NaN where NVML gave none. */
  readonly numbers = new Float64Array(FIELD_NAMES.length);
  /** Each field's NVML return code when it failed; 0 where it was read or not asked for. */
  readonly codes = new Int32Array(FIELD_NAMES.length);
  /** The strings and the process list of the last read. */
  text: TextValues = {};

  /** The field's value, or undefined when NVML gave none. */
  get(field: NumericField): number | undefined {
    const value = this.numbers[FIELD_INDEX[field]] as number;
    return Number.isNaN(value) ? undefined : value;
  }

  /** Whether any field failed with `code`. */
  hasCode(code: number): boolean {
    return this.codes.includes(code);
  }

  /** The object form of the binding's readDevice. */
  toReading(index: number): DeviceReading {
    const values: Record<string, unknown> = { ...this.text };
    const errors: Record<string, number> = {};
    FIELD_NAMES.forEach((name, i) => {
      const value = this.numbers[i] as number;
      if (!Number.isNaN(value)) values[name] = value;
      const code = this.codes[i] as number;
      if (code !== 0) errors[name] = code;
    });
    return { index, values: values as DeviceValues, errors };
  }
}
