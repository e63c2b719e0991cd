#include "nvml_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <initializer_list>
#include <mutex>

namespace proofwatch::nvml {
namespace {

std::mutex g_mutex;
int g_refs = 0;
ApiPtr g_api;

// Tries each name, newest first; records the newest one when none resolves.
template <typename Fn>
void Resolve(void* lib, Fn& slot, std::initializer_list<const char*> names,
             std::vector<std::string>& missing) {
  for (const char* name : names) {
    if (void* sym = dlsym(lib, name)) {
      slot = reinterpret_cast<Fn>(sym);
      return;
    }
  }
  missing.emplace_back(*names.begin());
}

void ResolveAll(void* lib, Api& api) {
  auto& m = api.missing;
  Resolve(lib, api.init, {"nvmlInit_v2", "nvmlInit"}, m);
  Resolve(lib, api.shutdown, {"nvmlShutdown"}, m);
  Resolve(lib, api.errorString, {"nvmlErrorString"}, m);
  Resolve(lib, api.systemGetDriverVersion, {"nvmlSystemGetDriverVersion"}, m);
  Resolve(lib, api.systemGetCudaDriverVersion,
          {"nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion"}, m);

  Resolve(lib, api.deviceGetCount, {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"}, m);
  Resolve(lib, api.deviceGetHandleByIndex,
          {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"}, m);
  Resolve(lib, api.deviceGetIndex, {"nvmlDeviceGetIndex"}, m);
  Resolve(lib, api.deviceGetUUID, {"nvmlDeviceGetUUID"}, m);
  Resolve(lib, api.deviceGetName, {"nvmlDeviceGetName"}, m);
  Resolve(lib, api.deviceGetSerial, {"nvmlDeviceGetSerial"}, m);
  // _v2 and the unversioned symbol fill older nvmlPciInfo_t layouts; only _v3 matches ours.
  Resolve(lib, api.deviceGetPciInfo, {"nvmlDeviceGetPciInfo_v3"}, m);
  Resolve(lib, api.deviceGetVbiosVersion, {"nvmlDeviceGetVbiosVersion"}, m);
  Resolve(lib, api.deviceGetInforomImageVersion, {"nvmlDeviceGetInforomImageVersion"}, m);

  Resolve(lib, api.deviceGetUtilizationRates, {"nvmlDeviceGetUtilizationRates"}, m);
  Resolve(lib, api.deviceGetMemoryInfoV2, {"nvmlDeviceGetMemoryInfo_v2"}, m);
  Resolve(lib, api.deviceGetMemoryInfoV1, {"nvmlDeviceGetMemoryInfo"}, m);

  Resolve(lib, api.deviceGetTemperature, {"nvmlDeviceGetTemperature"}, m);
  Resolve(lib, api.deviceGetFanSpeed, {"nvmlDeviceGetFanSpeed"}, m);
  Resolve(lib, api.deviceGetPowerUsage, {"nvmlDeviceGetPowerUsage"}, m);
  Resolve(lib, api.deviceGetEnforcedPowerLimit, {"nvmlDeviceGetEnforcedPowerLimit"}, m);
  Resolve(lib, api.deviceGetTotalEnergyConsumption, {"nvmlDeviceGetTotalEnergyConsumption"}, m);
  Resolve(lib, api.deviceGetPerformanceState, {"nvmlDeviceGetPerformanceState"}, m);

  Resolve(lib, api.deviceGetPcieThroughput, {"nvmlDeviceGetPcieThroughput"}, m);
  Resolve(lib, api.deviceGetPcieReplayCounter, {"nvmlDeviceGetPcieReplayCounter"}, m);
  Resolve(lib, api.deviceGetCurrPcieLinkGeneration, {"nvmlDeviceGetCurrPcieLinkGeneration"}, m);
  Resolve(lib, api.deviceGetCurrPcieLinkWidth, {"nvmlDeviceGetCurrPcieLinkWidth"}, m);
  Resolve(lib, api.deviceGetMaxPcieLinkGeneration, {"nvmlDeviceGetMaxPcieLinkGeneration"}, m);
  Resolve(lib, api.deviceGetMaxPcieLinkWidth, {"nvmlDeviceGetMaxPcieLinkWidth"}, m);

  Resolve(lib, api.deviceGetClockInfo, {"nvmlDeviceGetClockInfo"}, m);
  Resolve(lib, api.deviceGetCurrentClocksEventReasons,
          {"nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"},
          m);

  Resolve(lib, api.deviceGetEccMode, {"nvmlDeviceGetEccMode"}, m);
  Resolve(lib, api.deviceGetTotalEccErrors, {"nvmlDeviceGetTotalEccErrors"}, m);
  Resolve(lib, api.deviceGetRetiredPagesV2, {"nvmlDeviceGetRetiredPages_v2"}, m);
  Resolve(lib, api.deviceGetRetiredPagesV1, {"nvmlDeviceGetRetiredPages"}, m);
  Resolve(lib, api.deviceGetRetiredPagesPendingStatus,
          {"nvmlDeviceGetRetiredPagesPendingStatus"}, m);
  Resolve(lib, api.deviceGetRemappedRows, {"nvmlDeviceGetRemappedRows"}, m);

  Resolve(lib, api.deviceGetComputeRunningProcesses,
          {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2"},
          m);
  Resolve(lib, api.deviceGetComputeRunningProcessesV1, {"nvmlDeviceGetComputeRunningProcesses"},
          m);

  Resolve(lib, api.eventSetCreate, {"nvmlEventSetCreate"}, m);
  Resolve(lib, api.deviceRegisterEvents, {"nvmlDeviceRegisterEvents"}, m);
  Resolve(lib, api.eventSetWait, {"nvmlEventSetWait_v2", "nvmlEventSetWait"}, m);
  Resolve(lib, api.eventSetFree, {"nvmlEventSetFree"}, m);
}

}  // namespace

std::string LibraryPath() {
  const char* env = std::getenv("PROOFWATCH_NVML_LIBRARY");
  return (env != nullptr && *env != '\0') ? env : "libnvidia-ml.so.1";
}

LoadResult Acquire() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_refs > 0) {
    ++g_refs;
    return {};
  }
  const std::string path = LibraryPath();
  // The handle is never dlclose'd: a device thread stuck in a hung NVML call is still
  // executing the library's code, and unmapping it under that thread would crash the process.
  // dlopen of the same path again just bumps the loader's own count.
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    return {NVML_ERROR_LIBRARY_NOT_FOUND,
            "dlopen(\"" + path + "\") failed: " + (why != nullptr ? why : "unknown error")};
  }
  auto api = std::make_shared<Api>();
  ResolveAll(lib, *api);
  if (api->init == nullptr) {
    return {NVML_ERROR_FUNCTION_NOT_FOUND, path + " exports neither nvmlInit_v2 nor nvmlInit"};
  }
  const nvmlReturn_t rc = api->init();
  if (rc != NVML_SUCCESS) {
    const char* text = api->errorString != nullptr ? api->errorString(rc) : nullptr;
    return {rc, "nvmlInit_v2 failed: " + ReturnCodeName(rc) +
                    (text != nullptr ? std::string(" (") + text + ")" : std::string())};
  }
  g_api = std::move(api);
  g_refs = 1;
  return {};
}

bool Release() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_refs == 0) return false;
  if (--g_refs == 0) {
    if (g_api->shutdown != nullptr) g_api->shutdown();
    g_api.reset();
  }
  return true;
}

ApiPtr Current() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_api;
}

std::string ReturnCodeName(int code) {
  switch (code) {
    case NVML_SUCCESS: return "SUCCESS";
    case NVML_ERROR_UNINITIALIZED: return "UNINITIALIZED";
    case NVML_ERROR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case NVML_ERROR_NOT_SUPPORTED: return "NOT_SUPPORTED";
    case NVML_ERROR_NO_PERMISSION: return "NO_PERMISSION";
    case NVML_ERROR_ALREADY_INITIALIZED: return "ALREADY_INITIALIZED";
    case NVML_ERROR_NOT_FOUND: return "NOT_FOUND";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "INSUFFICIENT_SIZE";
    case NVML_ERROR_INSUFFICIENT_POWER: return "INSUFFICIENT_POWER";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "DRIVER_NOT_LOADED";
    case NVML_ERROR_TIMEOUT: return "TIMEOUT";
    case NVML_ERROR_IRQ_ISSUE: return "IRQ_ISSUE";
    case NVML_ERROR_LIBRARY_NOT_FOUND: return "LIBRARY_NOT_FOUND";
    case NVML_ERROR_FUNCTION_NOT_FOUND: return "FUNCTION_NOT_FOUND";
    case NVML_ERROR_CORRUPTED_INFOROM: return "CORRUPTED_INFOROM";
    case NVML_ERROR_GPU_IS_LOST: return "GPU_IS_LOST";
    case NVML_ERROR_RESET_REQUIRED: return "RESET_REQUIRED";
    case NVML_ERROR_OPERATING_SYSTEM: return "OPERATING_SYSTEM";
    case NVML_ERROR_LIB_RM_VERSION_MISMATCH: return "LIB_RM_VERSION_MISMATCH";
    case NVML_ERROR_IN_USE: return "IN_USE";
    case NVML_ERROR_MEMORY: return "MEMORY";
    case NVML_ERROR_NO_DATA: return "NO_DATA";
    case NVML_ERROR_VGPU_ECC_NOT_SUPPORTED: return "VGPU_ECC_NOT_SUPPORTED";
    case NVML_ERROR_INSUFFICIENT_RESOURCES: return "INSUFFICIENT_RESOURCES";
    case NVML_ERROR_FREQ_NOT_SUPPORTED: return "FREQ_NOT_SUPPORTED";
    case NVML_ERROR_ARGUMENT_VERSION_MISMATCH: return "ARGUMENT_VERSION_MISMATCH";
    case NVML_ERROR_DEPRECATED: return "DEPRECATED";
    case NVML_ERROR_NOT_READY: return "NOT_READY";
    case NVML_ERROR_GPU_NOT_FOUND: return "GPU_NOT_FOUND";
    case NVML_ERROR_INVALID_STATE: return "INVALID_STATE";
    case NVML_ERROR_UNKNOWN: return "UNKNOWN";
    default: return "UNKNOWN_" + std::to_string(code);
  }
}

}  // namespace proofwatch::nvml
