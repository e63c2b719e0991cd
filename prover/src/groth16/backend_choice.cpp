#include "groth16/backend_choice.h"

#include <cstdio>

#include "cuda/backend.h"
#include "util/error.h"

namespace pw {

BackendOptions choose_backend(const std::string& name, int device) {
  BackendOptions bo;
  bo.device = device;
  if (name == "cuda") {
    std::string why;
    const int count = cuda_device_count(&why);
    if (count == 0) throw ProverError(kExitNoBackend, "CUDA backend not available: " + why);
    if (device >= count)
      throw ProverError(kExitNoBackend, "CUDA backend: --device " + std::to_string(device) + " but " +
                                            std::to_string(count) + " device(s) present");
    bo.kind = Backend::kCuda;
  } else if (name == "cuda-emu") {
    bo.kind = Backend::kCudaEmulated;
  } else if (name == "auto") {
    std::string why;
    bo.kind = cuda_device_count(&why) > device ? Backend::kCuda : Backend::kCpu;
  }
  return bo;
}

std::unique_ptr<Groth16Prover> make_prover(const std::string& zkey_path, std::shared_ptr<ThreadPool> pool,
                                           bool check_points, const std::string& name, int device) {
  BackendOptions bo = choose_backend(name, device);
  if (bo.kind == Backend::kCuda && name == "auto") {
    try {
      return std::make_unique<Groth16Prover>(zkey_path, pool, check_points, bo);
    } catch (const ProverError& e) {
      if (e.code != kExitNoBackend && e.code != kExitInternal) throw;
      std::fprintf(stderr, "proofwatch-prover: warning: --backend auto: CUDA unusable (%s); proving on the CPU\n",
                   e.what());
      bo.kind = Backend::kCpu;
    }
  }
  return std::make_unique<Groth16Prover>(zkey_path, pool, check_points, bo);
}

double device_bytes(const Timings& timings) {
  double bytes = 0;
  for (const auto& [name, value] : timings) {
    const bool transfer = name.rfind("h2d_", 0) == 0 || name.rfind("d2h_", 0) == 0;
    if (transfer && name.size() > 6 && name.compare(name.size() - 6, 6, "_bytes") == 0) bytes += value;
  }
  return bytes;
}

}  // namespace pw
