// Built instead of cuda_backend.cu when CMake found no CUDA compiler (or
// -DPROOFWATCH_CUDA=OFF): the CUDA backend reports itself absent.
#include "canary/canary.h"
#include "cuda/backend.h"
#include "util/error.h"

namespace pw {

bool cuda_backend_built() { return false; }

CudaVersions cuda_versions() {
  return {0, 0, "CUDA backend not built (no nvcc when this prover was configured)"};
}

int cuda_device_count(std::string* why) {
  if (why) *why = "CUDA backend not built (no nvcc when this prover was configured)";
  return 0;
}

std::unique_ptr<GpuCircuit> make_cuda_circuit(const Zkey&, int) {
  throw ProverError(kExitNoBackend, "CUDA backend not built (no nvcc when this prover was configured)");
}

G1::Acc cuda_g1_msm(int, const G1Aff*, const Scalar*, size_t, double*) {
  throw ProverError(kExitNoBackend, "CUDA backend not built (no nvcc when this prover was configured)");
}

G2::Acc cuda_g2_msm(int, const G2Aff*, const Scalar*, size_t, double*) {
  throw ProverError(kExitNoBackend, "CUDA backend not built (no nvcc when this prover was configured)");
}

void cuda_ntt(int, Fr*, int, bool, double*) {
  throw ProverError(kExitNoBackend, "CUDA backend not built (no nvcc when this prover was configured)");
}

std::string cuda_g1_msm_profile(int, const G1Aff*, const Scalar*, size_t, int, uint32_t, uint32_t) {
  throw ProverError(kExitNoBackend, "CUDA backend not built (no nvcc when this prover was configured)");
}

std::string cuda_g2_msm_profile(int, const G2Aff*, const Scalar*, size_t, int, uint32_t, uint32_t) {
  throw ProverError(kExitNoBackend, "CUDA backend not built (no nvcc when this prover was configured)");
}

std::string cuda_hold_memory(int, size_t, double, const std::function<void(const std::string&)>&) {
  throw ProverError(kExitNoBackend, "CUDA backend not built (no nvcc when this prover was configured)");
}

std::string cuda_error_probe(int) {
  throw ProverError(kExitNoBackend, "CUDA backend not built (no nvcc when this prover was configured)");
}

canary::Report canary::run_cuda(int, double, const KnownAnswers&) {
  throw ProverError(kExitNoBackend, "CUDA backend not built (no nvcc when this prover was configured)");
}

}  // namespace pw
