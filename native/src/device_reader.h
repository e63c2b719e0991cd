// Reads groups of fields of one GPU into plain C++ values, in NVML's own units and return
// codes. Policy (unit conversion, what an error means) belongs to the TypeScript side.
#ifndef PROOFWATCH_DEVICE_READER_H_
#define PROOFWATCH_DEVICE_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nvml_loader.h"

namespace proofwatch::nvml {

// Bit per field group; names match FieldGroup in native/types.ts.
enum Group : uint32_t {
  kIdentity = 1u << 0,
  kUtilization = 1u << 1,
  kMemory = 1u << 2,
  kThermal = 1u << 3,
  kPower = 1u << 4,
  kPcie = 1u << 5,
  kClocks = 1u << 6,
  kEcc = 1u << 7,
  kRetiredPages = 1u << 8,
  kRemappedRows = 1u << 9,
  kProcesses = 1u << 10,
  kFirmware = 1u << 11,
  kAllGroups = (1u << 12) - 1,
};

// The group's bit, or 0 for a name that is not a group.
uint32_t GroupFromName(std::string_view name);
// Group names, the name of bit i at position i.
std::vector<std::string_view> GroupNames();

struct ComputeProcess {
  unsigned int pid = 0;
  // Absent when NVML reports NVML_VALUE_NOT_AVAILABLE (e.g. under some container setups).
  std::optional<uint64_t> usedGpuMemoryBytes;
};

// Member names match DeviceValues in native/types.ts, so JSON and JS keys come from one list.
struct DeviceReading {
  unsigned int index = 0;

  std::optional<std::string> uuid, name, serial, pciBusId, vbiosVersion, inforomImageVersion;

  std::optional<uint64_t> gpuUtilPercent, memoryUtilPercent;
  std::optional<uint64_t> memoryTotalBytes, memoryUsedBytes, memoryFreeBytes, memoryReservedBytes;
  std::optional<uint64_t> temperatureGpuCelsius, fanSpeedPercent;
  std::optional<uint64_t> powerUsageMilliwatts, powerLimitMilliwatts, totalEnergyMillijoules,
      performanceState;
  std::optional<uint64_t> pcieTxKilobytesPerSecond, pcieRxKilobytesPerSecond, pcieReplayCounter,
      pcieLinkGeneration, pcieLinkWidth, pcieMaxLinkGeneration, pcieMaxLinkWidth;
  std::optional<uint64_t> smClockMegahertz, memoryClockMegahertz, clocksEventReasons;
  std::optional<uint64_t> eccModeCurrent, eccModePending, eccCorrectedVolatile,
      eccCorrectedAggregate, eccUncorrectedVolatile, eccUncorrectedAggregate;
  std::optional<uint64_t> retiredPagesSingleBitEcc, retiredPagesDoubleBitEcc, retiredPagesPending;
  std::optional<uint64_t> remappedRowsCorrectable, remappedRowsUncorrectable, remappedRowsPending,
      remappedRowsFailure;
  std::optional<std::vector<ComputeProcess>> computeProcesses;

  // Field name -> NVML return code, for every field whose call did not return SUCCESS.
  std::vector<std::pair<const char*, nvmlReturn_t>> errors;

  // Calls visit(name, const std::optional<T>&) for every field, in declaration order, with T
  // one of std::string, uint64_t or std::vector<ComputeProcess>.
  template <typename Visitor>
  void ForEachField(Visitor&& visit) const;
};

// Field names in ForEachField's order: a field's position here is its index in the addon's
// compact readings (numbers and codes by index; native/device-fields.ts holds the same list).
const std::vector<const char*>& FieldNames();
// Position of `name` in FieldNames(), or -1.
int FieldIndex(std::string_view name);

// Reads `groups` (Group bits) of device `index`. Returns the code of nvmlDeviceGetHandleByIndex
// when the device itself cannot be had (then `out` holds nothing); per-field failures go to
// out->errors and the call still returns NVML_SUCCESS.
nvmlReturn_t ReadDevice(const Api& api, unsigned int index, uint32_t groups, DeviceReading* out);

template <typename Visitor>
void DeviceReading::ForEachField(Visitor&& visit) const {
#define PW_FIELD(f) visit(#f, f)
  PW_FIELD(uuid);
  PW_FIELD(name);
  PW_FIELD(serial);
  PW_FIELD(pciBusId);
  PW_FIELD(vbiosVersion);
  PW_FIELD(inforomImageVersion);
  PW_FIELD(gpuUtilPercent);
  PW_FIELD(memoryUtilPercent);
  PW_FIELD(memoryTotalBytes);
  PW_FIELD(memoryUsedBytes);
  PW_FIELD(memoryFreeBytes);
  PW_FIELD(memoryReservedBytes);
  PW_FIELD(temperatureGpuCelsius);
  PW_FIELD(fanSpeedPercent);
  PW_FIELD(powerUsageMilliwatts);
  PW_FIELD(powerLimitMilliwatts);
  PW_FIELD(totalEnergyMillijoules);
  PW_FIELD(performanceState);
  PW_FIELD(pcieTxKilobytesPerSecond);
  PW_FIELD(pcieRxKilobytesPerSecond);
  PW_FIELD(pcieReplayCounter);
  PW_FIELD(pcieLinkGeneration);
  PW_FIELD(pcieLinkWidth);
  PW_FIELD(pcieMaxLinkGeneration);
  PW_FIELD(pcieMaxLinkWidth);
  PW_FIELD(smClockMegahertz);
  PW_FIELD(memoryClockMegahertz);
  PW_FIELD(clocksEventReasons);
  PW_FIELD(eccModeCurrent);
  PW_FIELD(eccModePending);
  PW_FIELD(eccCorrectedVolatile);
  PW_FIELD(eccCorrectedAggregate);
  PW_FIELD(eccUncorrectedVolatile);
  PW_FIELD(eccUncorrectedAggregate);
  PW_FIELD(retiredPagesSingleBitEcc);
  PW_FIELD(retiredPagesDoubleBitEcc);
  PW_FIELD(retiredPagesPending);
  PW_FIELD(remappedRowsCorrectable);
  PW_FIELD(remappedRowsUncorrectable);
  PW_FIELD(remappedRowsPending);
  PW_FIELD(remappedRowsFailure);
  PW_FIELD(computeProcesses);
#undef PW_FIELD
}

}  // namespace proofwatch::nvml

#endif  // PROOFWATCH_DEVICE_READER_H_
