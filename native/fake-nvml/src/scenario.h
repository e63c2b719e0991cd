// What fake-nvml pretends the machine looks like: parsed from the JSON file named by
// FAKE_NVML_SCENARIO (schema in ../README.md) and re-read when that file changes.
#ifndef PROOFWATCH_FAKE_NVML_SCENARIO_H_
#define PROOFWATCH_FAKE_NVML_SCENARIO_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nvml_abi.h"

namespace fakenvml {

// Handles are preallocated, so a scenario may describe at most this many GPUs.
constexpr unsigned int kMaxDevices = 64;

// A delay of "hang": the call blocks until a rewritten scenario no longer says so.
constexpr unsigned int kHang = ~0u;

// A numeric field: a constant, a counter growing with time, or a return code.
struct ValueSpec {
  nvmlReturn_t code = NVML_SUCCESS;
  double start = 0;
  double perSecond = 0;
  double afterSeconds = 0;
  std::optional<double> max;

  // Value at `t` seconds since the first nvmlInit, or the spec's error code.
  nvmlReturn_t Eval(double t, unsigned long long* out) const;
};

struct Process {
  unsigned int pid = 0;
  std::optional<unsigned long long> usedGpuMemoryBytes;
};

struct Device {
  std::string uuid, name, serial, pciBusId, vbiosVersion, inforomImageVersion;
  unsigned int pciDeviceId = 0;
  // Keyed by the DeviceValues field names of native/types.ts; every field has an entry.
  std::map<std::string, ValueSpec> fields;
  // Fields derived from others unless the scenario gives them.
  bool explicitFree = false;
  bool explicitEnergy = false;
  nvmlReturn_t processesCode = NVML_SUCCESS;
  std::vector<Process> processes;
  // Seconds after which the GPU answers GPU_IS_LOST; 0 means from the start.
  std::optional<double> lostAfterSeconds;
  // Per NVML function: forced return code, and milliseconds to sleep before answering
  // (kHang: until the scenario changes).
  std::map<std::string, nvmlReturn_t> returns;
  std::map<std::string, unsigned int> delaysMs;

  bool LostAt(double t) const { return lostAfterSeconds && t >= *lostAfterSeconds; }
};

struct Event {
  std::string id;
  unsigned int device = 0;
  unsigned long long xid = 0;
  double atSeconds = 0;
};

struct Scenario {
  std::string driverVersion;
  // nvmlSystemGetCudaDriverVersion's answer (major * 1000 + minor * 10), or its error code.
  int cudaDriverVersion = 12040;
  nvmlReturn_t cudaDriverVersionCode = NVML_SUCCESS;
  std::vector<Device> devices;
  std::vector<Event> events;
  // Scenario-wide forced codes and delays, for functions that take no device too (nvmlInit
  // included).
  std::map<std::string, nvmlReturn_t> returns;
  std::map<std::string, unsigned int> delaysMs;
};

// Parses scenario JSON text; on failure returns null and sets *error.
std::shared_ptr<const Scenario> ParseScenario(const std::string& text, std::string* error);

// The scenario used when FAKE_NVML_SCENARIO is unset: one healthy default GPU.
std::shared_ptr<const Scenario> DefaultScenario();

// "NOT_SUPPORTED" or "NVML_ERROR_NOT_SUPPORTED" -> its code.
std::optional<nvmlReturn_t> CodeFromName(const std::string& name);

}  // namespace fakenvml

#endif  // PROOFWATCH_FAKE_NVML_SCENARIO_H_
