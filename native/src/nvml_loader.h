// Finds NVML at run time (dlopen + dlsym) so that one build runs on hosts with any driver,
// or none. Nothing here depends on Node: the addon and nvml_probe share it.
#ifndef PROOFWATCH_NVML_LOADER_H_
#define PROOFWATCH_NVML_LOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "nvml_abi.h"

namespace proofwatch::nvml {

// One pointer per NVML entry point we call; null when the loaded library lacks it.
// Where NVML has several versions the pointer holds the newest one found; `*V1`-style
// members keep the older variants whose struct layout differs, so callers pick the layout.
struct Api {
  decltype(&::nvmlInit_v2) init = nullptr;
  decltype(&::nvmlShutdown) shutdown = nullptr;
  decltype(&::nvmlErrorString) errorString = nullptr;
  decltype(&::nvmlSystemGetDriverVersion) systemGetDriverVersion = nullptr;
  // _v2 and the unversioned symbol take the same int*; older drivers have only the latter.
  decltype(&::nvmlSystemGetCudaDriverVersion_v2) systemGetCudaDriverVersion = nullptr;

  decltype(&::nvmlDeviceGetCount_v2) deviceGetCount = nullptr;
  decltype(&::nvmlDeviceGetHandleByIndex_v2) deviceGetHandleByIndex = nullptr;
  decltype(&::nvmlDeviceGetIndex) deviceGetIndex = nullptr;
  decltype(&::nvmlDeviceGetUUID) deviceGetUUID = nullptr;
  decltype(&::nvmlDeviceGetName) deviceGetName = nullptr;
  decltype(&::nvmlDeviceGetSerial) deviceGetSerial = nullptr;
  decltype(&::nvmlDeviceGetPciInfo_v3) deviceGetPciInfo = nullptr;
  decltype(&::nvmlDeviceGetVbiosVersion) deviceGetVbiosVersion = nullptr;
  decltype(&::nvmlDeviceGetInforomImageVersion) deviceGetInforomImageVersion = nullptr;

  decltype(&::nvmlDeviceGetUtilizationRates) deviceGetUtilizationRates = nullptr;
  decltype(&::nvmlDeviceGetMemoryInfo_v2) deviceGetMemoryInfoV2 = nullptr;
  decltype(&::nvmlDeviceGetMemoryInfo) deviceGetMemoryInfoV1 = nullptr;

  decltype(&::nvmlDeviceGetTemperature) deviceGetTemperature = nullptr;
  decltype(&::nvmlDeviceGetFanSpeed) deviceGetFanSpeed = nullptr;
  decltype(&::nvmlDeviceGetPowerUsage) deviceGetPowerUsage = nullptr;
  decltype(&::nvmlDeviceGetEnforcedPowerLimit) deviceGetEnforcedPowerLimit = nullptr;
  decltype(&::nvmlDeviceGetTotalEnergyConsumption) deviceGetTotalEnergyConsumption = nullptr;
  decltype(&::nvmlDeviceGetPerformanceState) deviceGetPerformanceState = nullptr;

  decltype(&::nvmlDeviceGetPcieThroughput) deviceGetPcieThroughput = nullptr;
  decltype(&::nvmlDeviceGetPcieReplayCounter) deviceGetPcieReplayCounter = nullptr;
  decltype(&::nvmlDeviceGetCurrPcieLinkGeneration) deviceGetCurrPcieLinkGeneration = nullptr;
  decltype(&::nvmlDeviceGetCurrPcieLinkWidth) deviceGetCurrPcieLinkWidth = nullptr;
  decltype(&::nvmlDeviceGetMaxPcieLinkGeneration) deviceGetMaxPcieLinkGeneration = nullptr;
  decltype(&::nvmlDeviceGetMaxPcieLinkWidth) deviceGetMaxPcieLinkWidth = nullptr;

  decltype(&::nvmlDeviceGetClockInfo) deviceGetClockInfo = nullptr;
  // Same signature under both names: the "throttle" one is the pre-12.2 spelling.
  decltype(&::nvmlDeviceGetCurrentClocksEventReasons) deviceGetCurrentClocksEventReasons = nullptr;

  decltype(&::nvmlDeviceGetEccMode) deviceGetEccMode = nullptr;
  decltype(&::nvmlDeviceGetTotalEccErrors) deviceGetTotalEccErrors = nullptr;
  decltype(&::nvmlDeviceGetRetiredPages_v2) deviceGetRetiredPagesV2 = nullptr;
  decltype(&::nvmlDeviceGetRetiredPages) deviceGetRetiredPagesV1 = nullptr;
  decltype(&::nvmlDeviceGetRetiredPagesPendingStatus) deviceGetRetiredPagesPendingStatus = nullptr;
  decltype(&::nvmlDeviceGetRemappedRows) deviceGetRemappedRows = nullptr;

  // _v3 and _v2 fill the same struct, so one pointer serves both.
  decltype(&::nvmlDeviceGetComputeRunningProcesses_v3) deviceGetComputeRunningProcesses = nullptr;
  decltype(&::nvmlDeviceGetComputeRunningProcesses) deviceGetComputeRunningProcessesV1 = nullptr;

  decltype(&::nvmlEventSetCreate) eventSetCreate = nullptr;
  decltype(&::nvmlDeviceRegisterEvents) deviceRegisterEvents = nullptr;
  decltype(&::nvmlEventSetWait_v2) eventSetWait = nullptr;
  decltype(&::nvmlEventSetFree) eventSetFree = nullptr;

  // Symbols (by their newest name) that the library did not export.
  std::vector<std::string> missing;
};

// The loaded library's table. Immutable once published, and shared so that a thread still
// inside an NVML call keeps a valid table even after the last shutdown.
using ApiPtr = std::shared_ptr<const Api>;

struct LoadResult {
  nvmlReturn_t code = NVML_SUCCESS;
  std::string message;
};

// Path from PROOFWATCH_NVML_LIBRARY, else the soname the driver installs.
std::string LibraryPath();

// Reference-counted: the first call loads the library and calls nvmlInit, later calls only
// count. Thread-safe.
LoadResult Acquire();

// Drops one reference; the last one calls nvmlShutdown. Returns false when nothing was held.
bool Release();

// The table while at least one reference is held, else null.
ApiPtr Current();

// "SUCCESS", "GPU_IS_LOST" ... for any NVML return code; "UNKNOWN_<n>" for codes we do not know.
std::string ReturnCodeName(int code);

}  // namespace proofwatch::nvml

#endif  // PROOFWATCH_NVML_LOADER_H_
