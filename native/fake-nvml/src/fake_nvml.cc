// The exported NVML entry points. Each one runs the shared prologue (state.h) and then
// answers from the scenario, with NVML's own buffer-size and argument rules.
//
// Built a second time with FAKE_NVML_LEGACY_DRIVER, it leaves out the entry points that
// drivers before r510 lack (and row remapping, which is r450+), so the loader's fallbacks
// and FUNCTION_NOT_FOUND reporting run against a library that really misses them.
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "nvml_abi.h"
#include "nvml_loader.h"
#include "state.h"

using fakenvml::Call;

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

// C callers cannot take a C++ exception: turn any into NVML's catch-all code.
template <typename Fn>
nvmlReturn_t Guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake-nvml: %s\n", e.what());
  } catch (...) {
  }
  return NVML_ERROR_UNKNOWN;
}

namespace {

nvmlReturn_t Field(const Call& c, const char* name, unsigned long long* out) {
  return c.device->fields.at(name).Eval(c.seconds, out);
}

template <typename T>
nvmlReturn_t FieldAs(const Call& c, const char* name, T* out) {
  unsigned long long v = 0;
  const nvmlReturn_t rc = Field(c, name, &v);
  if (rc == NVML_SUCCESS) *out = static_cast<T>(v);
  return rc;
}

nvmlReturn_t CopyString(const std::string& value, char* buf, unsigned int length) {
  if (buf == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (value.size() + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
  std::memcpy(buf, value.c_str(), value.size() + 1);
  return NVML_SUCCESS;
}

// Entry point on a device handle that fills one field into *out.
template <typename T>
nvmlReturn_t DeviceField(const char* symbol, nvmlDevice_t device, const char* field, T* out) {
  return Guarded([&]() -> nvmlReturn_t {
    if (out == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    const nvmlReturn_t rc = fakenvml::EnterDevice(symbol, device, &c);
    if (rc != NVML_SUCCESS) return rc;
    return FieldAs(c, field, out);
  });
}

// The first error among several fields that one NVML call reports together.
nvmlReturn_t FirstError(const Call& c, std::initializer_list<const char*> fields) {
  unsigned long long ignored = 0;
  for (const char* f : fields) {
    const nvmlReturn_t rc = Field(c, f, &ignored);
    if (rc != NVML_SUCCESS) return rc;
  }
  return NVML_SUCCESS;
}

nvmlReturn_t GetCount(const char* symbol, unsigned int* count) {
  return Guarded([&]() -> nvmlReturn_t {
    if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    const nvmlReturn_t rc = fakenvml::Enter(symbol, &c);
    if (rc != NVML_SUCCESS) return rc;
    *count = static_cast<unsigned int>(c.scenario->devices.size());
    return NVML_SUCCESS;
  });
}

nvmlReturn_t GetHandle(const char* symbol, unsigned int index, nvmlDevice_t* device) {
  return Guarded([&]() -> nvmlReturn_t {
    if (device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    const nvmlReturn_t rc = fakenvml::EnterIndex(symbol, index, &c);
    if (rc != NVML_SUCCESS) return rc;
    *device = fakenvml::HandleOf(index);
    return NVML_SUCCESS;
  });
}

nvmlReturn_t Memory(const char* symbol, nvmlDevice_t device, unsigned long long* total,
                    unsigned long long* reserved, unsigned long long* free,
                    unsigned long long* used) {
  Call c;
  nvmlReturn_t rc = fakenvml::EnterDevice(symbol, device, &c);
  if (rc != NVML_SUCCESS) return rc;
  if ((rc = Field(c, "memoryTotalBytes", total)) != NVML_SUCCESS) return rc;
  if ((rc = Field(c, "memoryReservedBytes", reserved)) != NVML_SUCCESS) return rc;
  if ((rc = Field(c, "memoryUsedBytes", used)) != NVML_SUCCESS) return rc;
  if (c.device->explicitFree) return Field(c, "memoryFreeBytes", free);
  const unsigned long long taken = *reserved + *used;
  *free = *total > taken ? *total - taken : 0;
  return NVML_SUCCESS;
}

template <typename Info>
nvmlReturn_t Processes(const char* symbol, nvmlDevice_t device, unsigned int* infoCount,
                       Info* infos) {
  return Guarded([&]() -> nvmlReturn_t {
    if (infoCount == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    const nvmlReturn_t rc = fakenvml::EnterDevice(symbol, device, &c);
    if (rc != NVML_SUCCESS) return rc;
    if (c.device->processesCode != NVML_SUCCESS) return c.device->processesCode;
    const auto& list = c.device->processes;
    const auto n = static_cast<unsigned int>(list.size());
    if (*infoCount < n) {
      *infoCount = n;
      return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    if (n > 0 && infos == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    for (unsigned int i = 0; i < n; ++i) {
      Info info{};
      info.pid = list[i].pid;
      info.usedGpuMemory = list[i].usedGpuMemoryBytes.value_or(
          static_cast<unsigned long long>(NVML_VALUE_NOT_AVAILABLE));
      if constexpr (sizeof(Info) > sizeof(nvmlProcessInfo_v1_t)) {
        info.gpuInstanceId = 0xFFFFFFFFu;
        info.computeInstanceId = 0xFFFFFFFFu;
      }
      infos[i] = info;
    }
    *infoCount = n;
    return NVML_SUCCESS;
  });
}

nvmlReturn_t RetiredPages(const char* symbol, nvmlDevice_t device,
                          nvmlPageRetirementCause_t cause, unsigned int* pageCount,
                          unsigned long long* addresses, unsigned long long* timestamps) {
  return Guarded([&]() -> nvmlReturn_t {
    if (pageCount == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    nvmlReturn_t rc = fakenvml::EnterDevice(symbol, device, &c);
    if (rc != NVML_SUCCESS) return rc;
    const char* field = nullptr;
    if (cause == NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS) {
      field = "retiredPagesSingleBitEcc";
    } else if (cause == NVML_PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR) {
      field = "retiredPagesDoubleBitEcc";
    } else {
      return NVML_ERROR_INVALID_ARGUMENT;
    }
    unsigned int n = 0;
    if ((rc = FieldAs(c, field, &n)) != NVML_SUCCESS) return rc;
    // A zero-sized buffer is NVML's documented way to ask only for the count.
    if (*pageCount == 0) {
      *pageCount = n;
      return NVML_SUCCESS;
    }
    if (*pageCount < n) {
      *pageCount = n;
      return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    for (unsigned int i = 0; i < n; ++i) {
      // Made-up but stable page addresses and retirement times.
      if (addresses != nullptr) addresses[i] = 0x1000ull * (i + 1) + (cause << 20);
      if (timestamps != nullptr) timestamps[i] = 1700000000ull + i;
    }
    *pageCount = n;
    return NVML_SUCCESS;
  });
}

nvmlReturn_t EventWait(const char* symbol, nvmlEventSet_t set, nvmlEventData_t* data,
                       unsigned int timeoutms) {
  return Guarded([&]() -> nvmlReturn_t {
    if (set == nullptr || data == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    nvmlReturn_t rc = fakenvml::Enter(symbol, &c);
    if (rc != NVML_SUCCESS) return rc;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutms);
    for (;;) {
      fakenvml::Event e;
      if (fakenvml::TakeEvent(c, set->devices, &e)) {
        *data = nvmlEventData_t{};
        data->device = fakenvml::HandleOf(e.device);
        data->eventType = nvmlEventTypeXidCriticalError;
        data->eventData = e.xid;
        data->gpuInstanceId = 0xFFFFFFFFu;
        data->computeInstanceId = 0xFFFFFFFFu;
        return NVML_SUCCESS;
      }
      if (std::chrono::steady_clock::now() >= deadline) return NVML_ERROR_TIMEOUT;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      // Picks up both newly due events and ones a rewritten scenario file added.
      c.scenario = fakenvml::Refresh(&c.seconds);
      if (!c.scenario) return NVML_ERROR_UNINITIALIZED;
    }
  });
}

}  // namespace

// --- library ---

FAKE_EXPORT nvmlReturn_t nvmlInit_v2(void) {
  return Guarded([] { return fakenvml::Init("nvmlInit_v2"); });
}
FAKE_EXPORT nvmlReturn_t nvmlInit(void) {
  return Guarded([] { return fakenvml::Init("nvmlInit"); });
}
FAKE_EXPORT nvmlReturn_t nvmlShutdown(void) {
  return Guarded([] { return fakenvml::Shutdown(); });
}

FAKE_EXPORT const char* nvmlErrorString(nvmlReturn_t result) {
  // Callers may keep NVML's string forever, so each name is stored once and never freed.
  static std::mutex mutex;
  static auto* names = new std::map<int, std::string>();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = names->find(result);
  if (it == names->end()) {
    it = names->emplace(result, proofwatch::nvml::ReturnCodeName(result)).first;
  }
  return it->second.c_str();
}

FAKE_EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned int length) {
  return Guarded([&]() -> nvmlReturn_t {
    Call c;
    const nvmlReturn_t rc = fakenvml::Enter("nvmlSystemGetDriverVersion", &c);
    if (rc != NVML_SUCCESS) return rc;
    return CopyString(c.scenario->driverVersion, version, length);
  });
}

static nvmlReturn_t GetCudaDriverVersion(const char* symbol, int* version) {
  return Guarded([&]() -> nvmlReturn_t {
    if (version == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    const nvmlReturn_t rc = fakenvml::Enter(symbol, &c);
    if (rc != NVML_SUCCESS) return rc;
    if (c.scenario->cudaDriverVersionCode != NVML_SUCCESS) return c.scenario->cudaDriverVersionCode;
    *version = c.scenario->cudaDriverVersion;
    return NVML_SUCCESS;
  });
}

// Drivers before r410 have only the unversioned name, which the legacy build keeps.
#ifndef FAKE_NVML_LEGACY_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int* version) {
  return GetCudaDriverVersion("nvmlSystemGetCudaDriverVersion_v2", version);
}
#endif
FAKE_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int* version) {
  return GetCudaDriverVersion("nvmlSystemGetCudaDriverVersion", version);
}

// --- enumeration and identity ---

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* n) {
  return GetCount("nvmlDeviceGetCount_v2", n);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int* n) {
  return GetCount("nvmlDeviceGetCount", n);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  return GetHandle("nvmlDeviceGetHandleByIndex_v2", index, device);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t* device) {
  return GetHandle("nvmlDeviceGetHandleByIndex", index, device);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int* index) {
  return Guarded([&]() -> nvmlReturn_t {
    if (index == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    const nvmlReturn_t rc = fakenvml::EnterDevice("nvmlDeviceGetIndex", device, &c);
    if (rc != NVML_SUCCESS) return rc;
    *index = device->index;
    return NVML_SUCCESS;
  });
}

#define FAKE_STRING_GETTER(symbol, member)                                          \
  FAKE_EXPORT nvmlReturn_t symbol(nvmlDevice_t device, char* buf, unsigned int n) { \
    return Guarded([&]() -> nvmlReturn_t {                                                                       \
      Call c;                                                                       \
      const nvmlReturn_t rc = fakenvml::EnterDevice(#symbol, device, &c);          \
      if (rc != NVML_SUCCESS) return rc;                                            \
      return CopyString(c.device->member, buf, n);                                  \
    });                                                                              \
  }
FAKE_STRING_GETTER(nvmlDeviceGetUUID, uuid)
FAKE_STRING_GETTER(nvmlDeviceGetName, name)
FAKE_STRING_GETTER(nvmlDeviceGetSerial, serial)
FAKE_STRING_GETTER(nvmlDeviceGetVbiosVersion, vbiosVersion)
FAKE_STRING_GETTER(nvmlDeviceGetInforomImageVersion, inforomImageVersion)
#undef FAKE_STRING_GETTER

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  return Guarded([&]() -> nvmlReturn_t {
    if (pci == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    const nvmlReturn_t rc = fakenvml::EnterDevice("nvmlDeviceGetPciInfo_v3", device, &c);
    if (rc != NVML_SUCCESS) return rc;
    *pci = nvmlPciInfo_t{};
    unsigned int domain = 0, bus = 0, dev = 0, fn = 0;
    std::sscanf(c.device->pciBusId.c_str(), "%x:%x:%x.%x", &domain, &bus, &dev, &fn);
    pci->domain = domain;
    pci->bus = bus;
    pci->device = dev;
    pci->pciDeviceId = c.device->pciDeviceId;
    pci->pciSubSystemId = 0x16c110de;
    std::snprintf(pci->busId, sizeof(pci->busId), "%s", c.device->pciBusId.c_str());
    std::snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "%04X:%02X:%02X.0", domain & 0xffff,
                  bus, dev);
    return NVML_SUCCESS;
  });
}

// --- utilization and memory ---

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t* u) {
  return Guarded([&]() -> nvmlReturn_t {
    if (u == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    nvmlReturn_t rc = fakenvml::EnterDevice("nvmlDeviceGetUtilizationRates", device, &c);
    if (rc != NVML_SUCCESS) return rc;
    if ((rc = FirstError(c, {"gpuUtilPercent", "memoryUtilPercent"})) != NVML_SUCCESS) return rc;
    FieldAs(c, "gpuUtilPercent", &u->gpu);
    FieldAs(c, "memoryUtilPercent", &u->memory);
    return NVML_SUCCESS;
  });
}

#ifndef FAKE_NVML_LEGACY_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t* m) {
  return Guarded([&]() -> nvmlReturn_t {
    if (m == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    // Real NVML refuses a struct whose version word it does not recognise.
    if (m->version != nvmlMemory_v2) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
    return Memory("nvmlDeviceGetMemoryInfo_v2", device, &m->total, &m->reserved, &m->free,
                  &m->used);
  });
}
#endif

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* m) {
  return Guarded([&]() -> nvmlReturn_t {
    if (m == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    unsigned long long reserved = 0;
    const nvmlReturn_t rc =
        Memory("nvmlDeviceGetMemoryInfo", device, &m->total, &reserved, &m->free, &m->used);
    // v1 counts the driver's reservation as used.
    if (rc == NVML_SUCCESS) m->used += reserved;
    return rc;
  });
}

// --- thermal and power ---

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device,
                                                  nvmlTemperatureSensors_t sensor,
                                                  unsigned int* temp) {
  if (sensor != NVML_TEMPERATURE_GPU) return NVML_ERROR_INVALID_ARGUMENT;
  return DeviceField("nvmlDeviceGetTemperature", device, "temperatureGpuCelsius", temp);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetFanSpeed(nvmlDevice_t device, unsigned int* speed) {
  return DeviceField("nvmlDeviceGetFanSpeed", device, "fanSpeedPercent", speed);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int* power) {
  return DeviceField("nvmlDeviceGetPowerUsage", device, "powerUsageMilliwatts", power);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned int* limit) {
  return DeviceField("nvmlDeviceGetEnforcedPowerLimit", device, "powerLimitMilliwatts", limit);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device,
                                                             unsigned long long* energy) {
  return Guarded([&]() -> nvmlReturn_t {
    if (energy == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    nvmlReturn_t rc = fakenvml::EnterDevice("nvmlDeviceGetTotalEnergyConsumption", device, &c);
    if (rc != NVML_SUCCESS) return rc;
    if (c.device->explicitEnergy) return Field(c, "totalEnergyMillijoules", energy);
    // Unless told otherwise, energy is what the reported power draw adds up to (mW * s = mJ).
    unsigned long long power = 0;
    if ((rc = Field(c, "powerUsageMilliwatts", &power)) != NVML_SUCCESS) return rc;
    *energy = static_cast<unsigned long long>(static_cast<double>(power) * c.seconds);
    return NVML_SUCCESS;
  });
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPerformanceState(nvmlDevice_t device, nvmlPstates_t* p) {
  return DeviceField("nvmlDeviceGetPerformanceState", device, "performanceState", p);
}

// --- PCIe ---

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPcieThroughput(nvmlDevice_t device,
                                                     nvmlPcieUtilCounter_t counter,
                                                     unsigned int* value) {
  if (counter == NVML_PCIE_UTIL_TX_BYTES) {
    return DeviceField("nvmlDeviceGetPcieThroughput", device, "pcieTxKilobytesPerSecond", value);
  }
  if (counter == NVML_PCIE_UTIL_RX_BYTES) {
    return DeviceField("nvmlDeviceGetPcieThroughput", device, "pcieRxKilobytesPerSecond", value);
  }
  return NVML_ERROR_INVALID_ARGUMENT;
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPcieReplayCounter(nvmlDevice_t device, unsigned int* v) {
  return DeviceField("nvmlDeviceGetPcieReplayCounter", device, "pcieReplayCounter", v);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCurrPcieLinkGeneration(nvmlDevice_t device, unsigned int* v) {
  return DeviceField("nvmlDeviceGetCurrPcieLinkGeneration", device, "pcieLinkGeneration", v);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCurrPcieLinkWidth(nvmlDevice_t device, unsigned int* v) {
  return DeviceField("nvmlDeviceGetCurrPcieLinkWidth", device, "pcieLinkWidth", v);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMaxPcieLinkGeneration(nvmlDevice_t device, unsigned int* v) {
  return DeviceField("nvmlDeviceGetMaxPcieLinkGeneration", device, "pcieMaxLinkGeneration", v);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMaxPcieLinkWidth(nvmlDevice_t device, unsigned int* v) {
  return DeviceField("nvmlDeviceGetMaxPcieLinkWidth", device, "pcieMaxLinkWidth", v);
}

// --- clocks ---

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, nvmlClockType_t type,
                                                unsigned int* clock) {
  // Graphics and SM clocks share a domain on every GPU this fake stands in for.
  if (type == NVML_CLOCK_SM || type == NVML_CLOCK_GRAPHICS) {
    return DeviceField("nvmlDeviceGetClockInfo", device, "smClockMegahertz", clock);
  }
  if (type == NVML_CLOCK_MEM) {
    return DeviceField("nvmlDeviceGetClockInfo", device, "memoryClockMegahertz", clock);
  }
  return NVML_ERROR_NOT_SUPPORTED;
}
#ifndef FAKE_NVML_LEGACY_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t device,
                                                                unsigned long long* reasons) {
  return DeviceField("nvmlDeviceGetCurrentClocksEventReasons", device, "clocksEventReasons",
                     reasons);
}
#endif
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device,
                                                                   unsigned long long* reasons) {
  return DeviceField("nvmlDeviceGetCurrentClocksThrottleReasons", device, "clocksEventReasons",
                     reasons);
}

// --- memory health ---

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetEccMode(nvmlDevice_t device, nvmlEnableState_t* current,
                                              nvmlEnableState_t* pending) {
  return Guarded([&]() -> nvmlReturn_t {
    if (current == nullptr || pending == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    nvmlReturn_t rc = fakenvml::EnterDevice("nvmlDeviceGetEccMode", device, &c);
    if (rc != NVML_SUCCESS) return rc;
    if ((rc = FirstError(c, {"eccModeCurrent", "eccModePending"})) != NVML_SUCCESS) return rc;
    FieldAs(c, "eccModeCurrent", current);
    FieldAs(c, "eccModePending", pending);
    return NVML_SUCCESS;
  });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t device,
                                                     nvmlMemoryErrorType_t errorType,
                                                     nvmlEccCounterType_t counterType,
                                                     unsigned long long* count) {
  const bool corrected = errorType == NVML_MEMORY_ERROR_TYPE_CORRECTED;
  const bool volatileCounter = counterType == NVML_VOLATILE_ECC;
  if (!corrected && errorType != NVML_MEMORY_ERROR_TYPE_UNCORRECTED) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  if (!volatileCounter && counterType != NVML_AGGREGATE_ECC) return NVML_ERROR_INVALID_ARGUMENT;
  const char* field = corrected ? (volatileCounter ? "eccCorrectedVolatile" : "eccCorrectedAggregate")
                                : (volatileCounter ? "eccUncorrectedVolatile"
                                                   : "eccUncorrectedAggregate");
  return DeviceField("nvmlDeviceGetTotalEccErrors", device, field, count);
}

#ifndef FAKE_NVML_LEGACY_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetRetiredPages_v2(nvmlDevice_t device,
                                                      nvmlPageRetirementCause_t cause,
                                                      unsigned int* pageCount,
                                                      unsigned long long* addresses,
                                                      unsigned long long* timestamps) {
  return RetiredPages("nvmlDeviceGetRetiredPages_v2", device, cause, pageCount, addresses,
                      timestamps);
}
#endif
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetRetiredPages(nvmlDevice_t device,
                                                   nvmlPageRetirementCause_t cause,
                                                   unsigned int* pageCount,
                                                   unsigned long long* addresses) {
  return RetiredPages("nvmlDeviceGetRetiredPages", device, cause, pageCount, addresses, nullptr);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetRetiredPagesPendingStatus(nvmlDevice_t device,
                                                                nvmlEnableState_t* isPending) {
  return DeviceField("nvmlDeviceGetRetiredPagesPendingStatus", device, "retiredPagesPending",
                     isPending);
}

#ifndef FAKE_NVML_LEGACY_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetRemappedRows(nvmlDevice_t device, unsigned int* corrRows,
                                                   unsigned int* uncRows, unsigned int* isPending,
                                                   unsigned int* failureOccurred) {
  return Guarded([&]() -> nvmlReturn_t {
    if (!corrRows || !uncRows || !isPending || !failureOccurred) {
      return NVML_ERROR_INVALID_ARGUMENT;
    }
    Call c;
    nvmlReturn_t rc = fakenvml::EnterDevice("nvmlDeviceGetRemappedRows", device, &c);
    if (rc != NVML_SUCCESS) return rc;
    rc = FirstError(c, {"remappedRowsCorrectable", "remappedRowsUncorrectable",
                        "remappedRowsPending", "remappedRowsFailure"});
    if (rc != NVML_SUCCESS) return rc;
    FieldAs(c, "remappedRowsCorrectable", corrRows);
    FieldAs(c, "remappedRowsUncorrectable", uncRows);
    FieldAs(c, "remappedRowsPending", isPending);
    FieldAs(c, "remappedRowsFailure", failureOccurred);
    return NVML_SUCCESS;
  });
}
#endif

// --- processes ---

#ifndef FAKE_NVML_LEGACY_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device,
                                                                 unsigned int* infoCount,
                                                                 nvmlProcessInfo_t* infos) {
  return Processes("nvmlDeviceGetComputeRunningProcesses_v3", device, infoCount, infos);
}
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device,
                                                                 unsigned int* infoCount,
                                                                 nvmlProcessInfo_v2_t* infos) {
  return Processes("nvmlDeviceGetComputeRunningProcesses_v2", device, infoCount, infos);
}
#endif
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device,
                                                              unsigned int* infoCount,
                                                              nvmlProcessInfo_v1_t* infos) {
  return Processes("nvmlDeviceGetComputeRunningProcesses", device, infoCount, infos);
}

// --- events ---

FAKE_EXPORT nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t* set) {
  return Guarded([&]() -> nvmlReturn_t {
    if (set == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    const nvmlReturn_t rc = fakenvml::Enter("nvmlEventSetCreate", &c);
    if (rc != NVML_SUCCESS) return rc;
    *set = new nvmlEventSet_st();
    return NVML_SUCCESS;
  });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device,
                                                  unsigned long long eventTypes,
                                                  nvmlEventSet_t set) {
  return Guarded([&]() -> nvmlReturn_t {
    if (set == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    Call c;
    const nvmlReturn_t rc = fakenvml::EnterDevice("nvmlDeviceRegisterEvents", device, &c);
    if (rc != NVML_SUCCESS) return rc;
    // Only XID events are simulated; NVML refuses a mask with any unsupported type.
    if ((eventTypes & ~static_cast<unsigned long long>(nvmlEventTypeXidCriticalError)) != 0) {
      return NVML_ERROR_NOT_SUPPORTED;
    }
    set->devices.push_back(device->index);
    return NVML_SUCCESS;
  });
}

#ifndef FAKE_NVML_LEGACY_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t* data,
                                             unsigned int timeoutms) {
  return EventWait("nvmlEventSetWait_v2", set, data, timeoutms);
}
#endif
FAKE_EXPORT nvmlReturn_t nvmlEventSetWait(nvmlEventSet_t set, nvmlEventData_t* data,
                                          unsigned int timeoutms) {
  return EventWait("nvmlEventSetWait", set, data, timeoutms);
}

FAKE_EXPORT nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
  return Guarded([&]() -> nvmlReturn_t {
    if (set == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    delete set;
    return NVML_SUCCESS;
  });
}
