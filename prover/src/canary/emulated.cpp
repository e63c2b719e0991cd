// The canary on the grid emulator: the same checks and launches as on a GPU, host memory
// standing in for a device with kEmulatedDeviceBytes free. The only run that takes an
// injected fault (canary.h).
#include <chrono>

#include "canary/checks.h"
#include "cuda/emulator.h"

namespace pw {
namespace canary {

Report run_emulated(double memory_share, Fault fault, const KnownAnswers& answers, ThreadPool& pool) {
  const auto t0 = std::chrono::steady_clock::now();
  Report r;
  r.backend = "cuda-emu";
  r.device = 0;
  r.device_name = "CUDA kernels on the CPU grid emulator";
  r.memory_share = memory_share;
  gpu::EmuExec ex(pool);
  Checks<gpu::EmuExec>(ex, fault, r).run_all(answers, memory_share, [] { return kEmulatedDeviceBytes; });
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace canary
}  // namespace pw
