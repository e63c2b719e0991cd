// CUDA_OK(expr): every CUDA runtime call goes through it. A failure throws ProverError
// naming the call, file:line and the CUDA error; out of device memory says so first.
#pragma once
#include <cuda_runtime.h>

#include <cstdio>
#include <string>

#include "util/error.h"

namespace pw {
namespace gpu {

[[noreturn]] inline void cuda_fail(cudaError_t e, const char* expr, const char* file, int line) {
  std::string msg = std::string(expr) + " at " + file + ":" + std::to_string(line) + ": " + cudaGetErrorName(e) + " (" +
                    cudaGetErrorString(e) + ")";
  if (e == cudaErrorMemoryAllocation) throw ProverError(kExitInternal, "out of device memory: " + msg);
  throw ProverError(kExitInternal, "CUDA error: " + msg);
}

inline void cuda_check(cudaError_t e, const char* expr, const char* file, int line) {
  if (e != cudaSuccess) cuda_fail(e, expr, file, line);
}

// Destructors cannot throw: they report and go on.
inline void cuda_warn(cudaError_t e, const char* expr, const char* file, int line) {
  if (e != cudaSuccess)
    std::fprintf(stderr, "proofwatch-prover: warning: %s at %s:%d: %s\n", expr, file, line, cudaGetErrorName(e));
}

}  // namespace gpu
}  // namespace pw

#define CUDA_OK(expr) ::pw::gpu::cuda_check((expr), #expr, __FILE__, __LINE__)
#define CUDA_WARN(expr) ::pw::gpu::cuda_warn((expr), #expr, __FILE__, __LINE__)
