// fake-nvml's process-wide state: init count, the scenario and its hot reload, the clock
// scenarios are written against, and which XID events were already delivered.
#ifndef PROOFWATCH_FAKE_NVML_STATE_H_
#define PROOFWATCH_FAKE_NVML_STATE_H_

#include <memory>
#include <string>
#include <vector>

#include "scenario.h"

// Handles given out to callers; NVML only promises they are opaque pointers.
struct nvmlDevice_st {
  unsigned int index;
};
struct nvmlEventSet_st {
  std::vector<unsigned int> devices;
};

namespace fakenvml {

// What one NVML call sees: the scenario at its start and the time it answers at.
struct Call {
  std::shared_ptr<const Scenario> scenario;
  const Device* device = nullptr;  // for calls on a device handle
  double seconds = 0;              // since the process's first nvmlInit
};

// nvmlInit: loads the scenario on the first call, then, like every entry point, waits out
// its delay and applies its forced code (`symbol`: nvmlInit_v2 or nvmlInit).
nvmlReturn_t Init(const char* symbol);
nvmlReturn_t Shutdown();

// Common prologue of every entry point: checks init, picks up a changed scenario file,
// sleeps for a configured delay (or hangs until the scenario lifts it), then applies a forced
// return code. `symbol` is the exported name (e.g. nvmlDeviceGetMemoryInfo_v2); settings may
// name it or its unversioned base.
nvmlReturn_t Enter(const char* symbol, Call* call);
// As Enter, for a call on a device handle: also rejects foreign handles and lost GPUs.
nvmlReturn_t EnterDevice(const char* symbol, nvmlDevice_t device, Call* call);
// For nvmlDeviceGetHandleByIndex.
nvmlReturn_t EnterIndex(const char* symbol, unsigned int index, Call* call);

nvmlDevice_t HandleOf(unsigned int index);

// Marks and returns the first due, undelivered event for one of `devices`; false if none.
bool TakeEvent(const Call& call, const std::vector<unsigned int>& devices, Event* out);

// Picks up a changed scenario file now (event waits poll with it).
std::shared_ptr<const Scenario> Refresh(double* seconds);

}  // namespace fakenvml

#endif  // PROOFWATCH_FAKE_NVML_STATE_H_
