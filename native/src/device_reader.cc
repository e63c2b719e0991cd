#include "device_reader.h"

#include <array>
#include <limits>

namespace proofwatch::nvml {
namespace {

struct GroupName {
  std::string_view name;
  uint32_t bit;
};

constexpr std::array<GroupName, 12> kGroups{{
    {"identity", kIdentity},
    {"utilization", kUtilization},
    {"memory", kMemory},
    {"thermal", kThermal},
    {"power", kPower},
    {"pcie", kPcie},
    {"clocks", kClocks},
    {"ecc", kEcc},
    {"retiredPages", kRetiredPages},
    {"remappedRows", kRemappedRows},
    {"processes", kProcesses},
    {"firmware", kFirmware},
}};

// NVML's "not available" sentinel as it appears in a 64-bit field.
constexpr unsigned long long kNotAvailable = std::numeric_limits<unsigned long long>::max();

// Expands to the DeviceReading member and its name, so the two cannot drift apart.
#define PW_SLOT(f) out_->f, #f

class Reader {
 public:
  Reader(const Api& api, nvmlDevice_t dev, DeviceReading* out) : api_(api), dev_(dev), out_(out) {}

  void Identity() {
    String(PW_SLOT(uuid), api_.deviceGetUUID, NVML_DEVICE_UUID_V2_BUFFER_SIZE);
    String(PW_SLOT(name), api_.deviceGetName, NVML_DEVICE_NAME_V2_BUFFER_SIZE);
    String(PW_SLOT(serial), api_.deviceGetSerial, NVML_DEVICE_SERIAL_BUFFER_SIZE);
    if (api_.deviceGetPciInfo == nullptr) return Fail("pciBusId", NVML_ERROR_FUNCTION_NOT_FOUND);
    nvmlPciInfo_t pci{};
    const nvmlReturn_t rc = api_.deviceGetPciInfo(dev_, &pci);
    if (rc != NVML_SUCCESS) return Fail("pciBusId", rc);
    pci.busId[sizeof(pci.busId) - 1] = '\0';
    out_->pciBusId = pci.busId;
  }

  // Per board, since one host may carry boards flashed at different times. A group of its
  // own: firmware changes only with a GPU reset, so callers read it once per identity rather
  // than with the identity they read every time.
  void Firmware() {
    String(PW_SLOT(vbiosVersion), api_.deviceGetVbiosVersion,
           NVML_DEVICE_VBIOS_VERSION_BUFFER_SIZE);
    String(PW_SLOT(inforomImageVersion), api_.deviceGetInforomImageVersion,
           NVML_DEVICE_INFOROM_VERSION_BUFFER_SIZE);
  }

  void Utilization() {
    nvmlUtilization_t u{};
    const nvmlReturn_t rc = Call(api_.deviceGetUtilizationRates, &u);
    if (rc != NVML_SUCCESS) {
      Fail("gpuUtilPercent", rc);
      return Fail("memoryUtilPercent", rc);
    }
    out_->gpuUtilPercent = u.gpu;
    out_->memoryUtilPercent = u.memory;
  }

  void Memory() {
    nvmlReturn_t v2rc = NVML_ERROR_FUNCTION_NOT_FOUND;
    if (api_.deviceGetMemoryInfoV2 != nullptr) {
      nvmlMemory_v2_t m{};
      // NVML checks the version word to learn which layout the caller allocated.
      m.version = nvmlMemory_v2;
      v2rc = api_.deviceGetMemoryInfoV2(dev_, &m);
      if (v2rc == NVML_SUCCESS) {
        out_->memoryTotalBytes = m.total;
        out_->memoryReservedBytes = m.reserved;
        out_->memoryFreeBytes = m.free;
        out_->memoryUsedBytes = m.used;
        return;
      }
    }
    // Drivers before r510 lack _v2 or reject its version word; v1 still gives the totals.
    nvmlMemory_t m{};
    const nvmlReturn_t rc = Call(api_.deviceGetMemoryInfoV1, &m);
    if (rc != NVML_SUCCESS) {
      // `reserved` exists only in v2, so its error is v2's own reason.
      for (const char* f : {"memoryTotalBytes", "memoryUsedBytes", "memoryFreeBytes"}) Fail(f, rc);
      return Fail("memoryReservedBytes", v2rc);
    }
    out_->memoryTotalBytes = m.total;
    out_->memoryFreeBytes = m.free;
    out_->memoryUsedBytes = m.used;
    Fail("memoryReservedBytes", v2rc);
  }

  void Thermal() {
    One<unsigned int>(PW_SLOT(temperatureGpuCelsius), api_.deviceGetTemperature,
                      NVML_TEMPERATURE_GPU);
    One<unsigned int>(PW_SLOT(fanSpeedPercent), api_.deviceGetFanSpeed);
  }

  void Power() {
    One<unsigned int>(PW_SLOT(powerUsageMilliwatts), api_.deviceGetPowerUsage);
    One<unsigned int>(PW_SLOT(powerLimitMilliwatts), api_.deviceGetEnforcedPowerLimit);
    One<unsigned long long>(PW_SLOT(totalEnergyMillijoules),
                            api_.deviceGetTotalEnergyConsumption);
    One<nvmlPstates_t>(PW_SLOT(performanceState), api_.deviceGetPerformanceState);
  }

  void Pcie() {
    One<unsigned int>(PW_SLOT(pcieTxKilobytesPerSecond), api_.deviceGetPcieThroughput,
                      NVML_PCIE_UTIL_TX_BYTES);
    One<unsigned int>(PW_SLOT(pcieRxKilobytesPerSecond), api_.deviceGetPcieThroughput,
                      NVML_PCIE_UTIL_RX_BYTES);
    One<unsigned int>(PW_SLOT(pcieReplayCounter), api_.deviceGetPcieReplayCounter);
    One<unsigned int>(PW_SLOT(pcieLinkGeneration), api_.deviceGetCurrPcieLinkGeneration);
    One<unsigned int>(PW_SLOT(pcieLinkWidth), api_.deviceGetCurrPcieLinkWidth);
    One<unsigned int>(PW_SLOT(pcieMaxLinkGeneration), api_.deviceGetMaxPcieLinkGeneration);
    One<unsigned int>(PW_SLOT(pcieMaxLinkWidth), api_.deviceGetMaxPcieLinkWidth);
  }

  void Clocks() {
    One<unsigned int>(PW_SLOT(smClockMegahertz), api_.deviceGetClockInfo, NVML_CLOCK_SM);
    One<unsigned int>(PW_SLOT(memoryClockMegahertz), api_.deviceGetClockInfo, NVML_CLOCK_MEM);
    One<unsigned long long>(PW_SLOT(clocksEventReasons), api_.deviceGetCurrentClocksEventReasons);
  }

  void Ecc() {
    nvmlEnableState_t current{}, pending{};
    const nvmlReturn_t rc = Call(api_.deviceGetEccMode, &current, &pending);
    if (rc == NVML_SUCCESS) {
      out_->eccModeCurrent = current;
      out_->eccModePending = pending;
    } else {
      Fail("eccModeCurrent", rc);
      Fail("eccModePending", rc);
    }
    auto total = api_.deviceGetTotalEccErrors;
    One<unsigned long long>(PW_SLOT(eccCorrectedVolatile), total,
                            NVML_MEMORY_ERROR_TYPE_CORRECTED, NVML_VOLATILE_ECC);
    One<unsigned long long>(PW_SLOT(eccCorrectedAggregate), total,
                            NVML_MEMORY_ERROR_TYPE_CORRECTED, NVML_AGGREGATE_ECC);
    One<unsigned long long>(PW_SLOT(eccUncorrectedVolatile), total,
                            NVML_MEMORY_ERROR_TYPE_UNCORRECTED, NVML_VOLATILE_ECC);
    One<unsigned long long>(PW_SLOT(eccUncorrectedAggregate), total,
                            NVML_MEMORY_ERROR_TYPE_UNCORRECTED, NVML_AGGREGATE_ECC);
  }

  void RetiredPages() {
    RetiredCount(PW_SLOT(retiredPagesSingleBitEcc),
                 NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS);
    RetiredCount(PW_SLOT(retiredPagesDoubleBitEcc), NVML_PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR);
    One<nvmlEnableState_t>(PW_SLOT(retiredPagesPending), api_.deviceGetRetiredPagesPendingStatus);
  }

  void RemappedRows() {
    unsigned int corr = 0, unc = 0, pending = 0, failure = 0;
    const nvmlReturn_t rc = Call(api_.deviceGetRemappedRows, &corr, &unc, &pending, &failure);
    if (rc != NVML_SUCCESS) {
      for (const char* f : {"remappedRowsCorrectable", "remappedRowsUncorrectable",
                            "remappedRowsPending", "remappedRowsFailure"}) {
        Fail(f, rc);
      }
      return;
    }
    out_->remappedRowsCorrectable = corr;
    out_->remappedRowsUncorrectable = unc;
    out_->remappedRowsPending = pending;
    out_->remappedRowsFailure = failure;
  }

  void Processes() {
    if (api_.deviceGetComputeRunningProcesses != nullptr) {
      return ProcessList<nvmlProcessInfo_t>(api_.deviceGetComputeRunningProcesses);
    }
    if (api_.deviceGetComputeRunningProcessesV1 != nullptr) {
      return ProcessList<nvmlProcessInfo_v1_t>(api_.deviceGetComputeRunningProcessesV1);
    }
    Fail("computeProcesses", NVML_ERROR_FUNCTION_NOT_FOUND);
  }

 private:
  void Fail(const char* field, nvmlReturn_t rc) { out_->errors.emplace_back(field, rc); }

  template <typename Fn, typename... Args>
  nvmlReturn_t Call(Fn fn, Args... args) {
    return fn == nullptr ? NVML_ERROR_FUNCTION_NOT_FOUND : fn(dev_, args...);
  }

  // One call that fills one value, the output pointer last as in every NVML getter.
  template <typename Out, typename Fn, typename... Args>
  void One(std::optional<uint64_t>& slot, const char* field, Fn fn, Args... args) {
    Out value{};
    const nvmlReturn_t rc = Call(fn, args..., &value);
    if (rc == NVML_SUCCESS) {
      slot = static_cast<uint64_t>(value);
    } else {
      Fail(field, rc);
    }
  }

  template <typename Fn>
  void String(std::optional<std::string>& slot, const char* field, Fn fn, unsigned int size) {
    std::string buf(size, '\0');
    const nvmlReturn_t rc = Call(fn, buf.data(), size);
    if (rc != NVML_SUCCESS) return Fail(field, rc);
    buf.resize(buf.find('\0') == std::string::npos ? buf.size() : buf.find('\0'));
    slot = std::move(buf);
  }

  void RetiredCount(std::optional<uint64_t>& slot, const char* field,
                    nvmlPageRetirementCause_t cause) {
    // A zero-sized buffer asks only for the count. Some drivers say INSUFFICIENT_SIZE while
    // still filling it in, which is as good as SUCCESS for a count.
    unsigned int count = 0;
    nvmlReturn_t rc = NVML_ERROR_FUNCTION_NOT_FOUND;
    if (api_.deviceGetRetiredPagesV2 != nullptr) {
      rc = api_.deviceGetRetiredPagesV2(dev_, cause, &count, nullptr, nullptr);
    } else if (api_.deviceGetRetiredPagesV1 != nullptr) {
      rc = api_.deviceGetRetiredPagesV1(dev_, cause, &count, nullptr);
    }
    if (rc == NVML_SUCCESS || rc == NVML_ERROR_INSUFFICIENT_SIZE) {
      slot = count;
    } else {
      Fail(field, rc);
    }
  }

  template <typename Info, typename Fn>
  void ProcessList(Fn fn) {
    unsigned int count = 0;
    nvmlReturn_t rc = fn(dev_, &count, nullptr);
    std::vector<Info> infos;
    // Processes may start between the size query and the fill; retry a few times with room.
    for (int attempt = 0; attempt < 3 && (rc == NVML_ERROR_INSUFFICIENT_SIZE ||
                                          (rc == NVML_SUCCESS && count > infos.size()));
         ++attempt) {
      count += 8;
      infos.assign(count, Info{});
      rc = fn(dev_, &count, infos.data());
    }
    if (rc != NVML_SUCCESS) return Fail("computeProcesses", rc);
    std::vector<ComputeProcess> list;
    for (unsigned int i = 0; i < count && i < infos.size(); ++i) {
      ComputeProcess p;
      p.pid = infos[i].pid;
      if (infos[i].usedGpuMemory != kNotAvailable) p.usedGpuMemoryBytes = infos[i].usedGpuMemory;
      list.push_back(p);
    }
    out_->computeProcesses = std::move(list);
  }

  const Api& api_;
  nvmlDevice_t dev_;
  DeviceReading* out_;
};

#undef PW_SLOT

}  // namespace

uint32_t GroupFromName(std::string_view name) {
  for (const auto& g : kGroups) {
    if (g.name == name) return g.bit;
  }
  return 0;
}

std::vector<std::string_view> GroupNames() {
  std::vector<std::string_view> names;
  for (const auto& g : kGroups) names.push_back(g.name);
  return names;
}

const std::vector<const char*>& FieldNames() {
  static const std::vector<const char*> names = [] {
    std::vector<const char*> list;
    DeviceReading{}.ForEachField([&](const char* name, const auto&) { list.push_back(name); });
    return list;
  }();
  return names;
}

int FieldIndex(std::string_view name) {
  const auto& names = FieldNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (name == names[i]) return static_cast<int>(i);
  }
  return -1;
}

nvmlReturn_t ReadDevice(const Api& api, unsigned int index, uint32_t groups, DeviceReading* out) {
  *out = DeviceReading{};
  out->index = index;
  if (api.deviceGetHandleByIndex == nullptr) return NVML_ERROR_FUNCTION_NOT_FOUND;
  nvmlDevice_t dev = nullptr;
  const nvmlReturn_t rc = api.deviceGetHandleByIndex(index, &dev);
  if (rc != NVML_SUCCESS) return rc;

  Reader r(api, dev, out);
  if (groups & kIdentity) r.Identity();
  if (groups & kUtilization) r.Utilization();
  if (groups & kMemory) r.Memory();
  if (groups & kThermal) r.Thermal();
  if (groups & kPower) r.Power();
  if (groups & kPcie) r.Pcie();
  if (groups & kClocks) r.Clocks();
  if (groups & kEcc) r.Ecc();
  if (groups & kRetiredPages) r.RetiredPages();
  if (groups & kRemappedRows) r.RemappedRows();
  if (groups & kProcesses) r.Processes();
  if (groups & kFirmware) r.Firmware();
  return NVML_SUCCESS;
}

}  // namespace proofwatch::nvml
