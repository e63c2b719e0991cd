// The CUDA backend: device selection, the memory check, and CircuitOn over CudaExec. A
// thin launcher: every kernel body is in kernels.h and the launch order in
// msm_pipeline.h / groth16_gpu.h, shared with the grid emulator the tests run.
#include <cstdio>

#include "cuda/cuda_exec.cuh"
#include "cuda/groth16_gpu.h"

namespace pw {
namespace {

// Device bytes a circuit keeps plus the peak of one proof (the H MSM's pairs, sort
// buffers and CUB scratch dominate), for a clear message before anything is allocated.
size_t device_bytes_needed(const Zkey& z) {
  const size_t n = z.domain_size;
  size_t resident = (z.a.size() + z.b1.size() + z.c.size() + z.h.size()) * sizeof(G1Aff) + 2 * n * sizeof(Fr) +
                    5 * n * sizeof(Fr) + z.n_vars * sizeof(Scalar);
  size_t biggest = n > z.n_vars ? n : z.n_vars;
  gpu::MsmLayout L = gpu::msm_layout(biggest);
  size_t msm = (size_t)L.nwin * biggest * sizeof(uint32_t) * 6 + (size_t)L.nkeys * (2 * sizeof(uint32_t) + sizeof(G1::Acc));
  return resident + msm;
}

class CudaCircuit : public GpuCircuit {
 public:
  CudaCircuit(const Zkey& z, int device) : ex_(device), circuit_(ex_, z) {
    cudaDeviceProp prop;
    CUDA_OK(cudaGetDeviceProperties(&prop, device));
    name_ = std::string("CUDA device ") + std::to_string(device) + ": " + prop.name;
  }
  G1Results prove_g1(const std::vector<Fr>& a, const std::vector<Fr>& b, const std::vector<Fr>& c,
                     const std::vector<Scalar>& witness, bool h_bitflip, Timings* t) override {
    CUDA_OK(cudaSetDevice(ex_.device()));
    return circuit_.prove(a, b, c, witness, h_bitflip, t);
  }
  std::string describe() const override { return name_; }

 private:
  gpu::CudaExec ex_;
  gpu::CircuitOn<gpu::CudaExec> circuit_;
  std::string name_;
};

}  // namespace

bool cuda_backend_built() { return true; }

int cuda_device_count(std::string* why) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    if (why) *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
    cudaGetLastError();  // clear the sticky-free error so later probes start clean
    return 0;
  }
  if (count == 0 && why) *why = "no CUDA device";
  return count;
}

std::unique_ptr<GpuCircuit> make_cuda_circuit(const Zkey& zkey, int device) {
  std::string why;
  const int count = cuda_device_count(&why);
  if (count == 0) throw ProverError(kExitNoBackend, "CUDA backend: no usable device (" + why + ")");
  if (device < 0 || device >= count)
    throw ProverError(kExitNoBackend, "CUDA backend: --device " + std::to_string(device) + " but only " +
                                          std::to_string(count) + " device(s) present");
  CUDA_OK(cudaSetDevice(device));
  size_t free_b = 0, total_b = 0;
  CUDA_OK(cudaMemGetInfo(&free_b, &total_b));
  const size_t need = device_bytes_needed(zkey);
  if (need > free_b) {
    throw ProverError(kExitInternal, "out of device memory: this circuit needs about " + std::to_string(need >> 20) +
                                         " MiB on CUDA device " + std::to_string(device) + ", which has " +
                                         std::to_string(free_b >> 20) + " MiB free of " + std::to_string(total_b >> 20));
  }
  return std::unique_ptr<GpuCircuit>(new CudaCircuit(zkey, device));
}

}  // namespace pw
