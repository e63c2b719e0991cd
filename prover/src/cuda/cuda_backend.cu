// The CUDA backend: device selection, the memory check, and CircuitOn over CudaExec. A
// thin launcher: every kernel body is in kernels.h and the launch order in
// msm_pipeline.h / groth16_gpu.h, shared with the grid emulator the tests run.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cuda/cuda_exec.cuh"
#include "cuda/groth16_gpu.h"
#include "canary/checks.h"

namespace pw {
namespace {

// Device bytes a circuit keeps plus the peak of one proof (the H MSM's pairs, sort
// buffers and CUB scratch dominate), for a clear message before anything is allocated.
size_t device_bytes_needed(const Zkey& z) {
  const size_t n = z.domain_size;
  size_t resident = (z.a.size() + z.b1.size() + z.c.size() + z.h.size()) * sizeof(G1Aff) + z.b2.size() * sizeof(G2Aff) +
                    2 * n * sizeof(Fr) + 5 * n * sizeof(Fr) + z.n_vars * sizeof(Scalar);
  size_t biggest = n > z.n_vars ? n : z.n_vars;
  gpu::MsmLayout L = gpu::msm_layout(biggest);
  size_t msm = (size_t)L.nwin * biggest * sizeof(uint32_t) * 6 + (size_t)L.nkeys * (2 * sizeof(uint32_t) + sizeof(G2::Acc));
  return resident + msm;
}

class CudaCircuit : public GpuCircuit {
 public:
  CudaCircuit(const Zkey& z, int device) : ex_(device), circuit_(ex_, z) {
    cudaDeviceProp prop;
    CUDA_OK(cudaGetDeviceProperties(&prop, device));
    name_ = std::string("CUDA device ") + std::to_string(device) + ": " + prop.name;
  }
  MsmResults prove_msms(const std::vector<Fr>& a, const std::vector<Fr>& b, const std::vector<Fr>& c,
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

CudaVersions cuda_versions() {
  CudaVersions v;
  // The runtime is linked into this binary, so this is the version it was built with.
  if (cudaRuntimeGetVersion(&v.runtime) != cudaSuccess) v.runtime = 0;
  // 0 with cudaSuccess when no driver is installed.
  const cudaError_t e = cudaDriverGetVersion(&v.driver);
  if (e != cudaSuccess) {
    v.driver = 0;
    v.why = std::string("cudaDriverGetVersion: ") + cudaGetErrorName(e);
    cudaGetLastError();
  } else if (v.driver == 0) {
    v.why = "no CUDA driver installed";
  }
  return v;
}

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

namespace {

void need_device(int device) {
  std::string why;
  const int count = cuda_device_count(&why);
  if (count == 0) throw ProverError(kExitNoBackend, "CUDA backend: no usable device (" + why + ")");
  if (device < 0 || device >= count)
    throw ProverError(kExitNoBackend, "CUDA backend: device " + std::to_string(device) + " but only " +
                                          std::to_string(count) + " device(s) present");
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

namespace {

template <class C>
typename C::Acc msm_on_device(int device, const typename C::Aff* bases, const Scalar* scalars, size_t n, double* seconds) {
  need_device(device);
  gpu::CudaExec ex(device);
  auto t0 = std::chrono::steady_clock::now();
  auto b = ex.alloc<typename C::Aff>(n);
  auto s = ex.alloc<Scalar>(n);
  ex.wait(ex.upload(b.get(), bases, n, "bases"));
  ex.wait(ex.upload(s.get(), scalars, n, "scalars"));
  typename C::Acc r = gpu::msm<C>(ex, b.get(), s.get(), n);
  ex.sync();
  if (seconds) *seconds = since(t0);
  return r;
}

}  // namespace

G1::Acc cuda_g1_msm(int device, const G1Aff* bases, const Scalar* scalars, size_t n, double* seconds) {
  return msm_on_device<G1>(device, bases, scalars, n, seconds);
}

G2::Acc cuda_g2_msm(int device, const G2Aff* bases, const Scalar* scalars, size_t n, double* seconds) {
  return msm_on_device<G2>(device, bases, scalars, n, seconds);
}

void cuda_ntt(int device, Fr* values, int log_n, bool inverse, double* seconds) {
  need_device(device);
  gpu::CudaExec ex(device);
  const size_t n = size_t(1) << log_n;
  std::vector<Fr> tw = gpu::twiddles(log_n, inverse);
  auto t0 = std::chrono::steady_clock::now();
  auto d = ex.alloc<Fr>(n);
  auto dt = ex.alloc<Fr>(tw.size());
  ex.wait(ex.upload(dt.get(), tw.data(), tw.size(), "twiddles"));
  ex.wait(ex.upload(d.get(), values, n, "values"));
  gpu::ntt(ex, d.get(), dt.get(), log_n);
  if (inverse) ex.launch(gpu::MulScalar{d.get(), Fr::from_u64(n).inverse()}, n);
  ex.download(values, d.get(), n, "values");
  if (seconds) *seconds = since(t0);
}

namespace {

template <class C>
std::string msm_profile(int device, const typename C::Aff* bases, const Scalar* scalars, size_t n, int reps,
                        uint32_t chunk, uint32_t seg_len) {
  need_device(device);
  gpu::CudaExec ex(device);
  auto b = ex.alloc<typename C::Aff>(n);
  auto s = ex.alloc<Scalar>(n);
  ex.wait(ex.upload(b.get(), bases, n, "bases"));
  ex.wait(ex.upload(s.get(), scalars, n, "scalars"));
  ex.sync();
  using Pipe = gpu::MsmPipeline<C, gpu::CudaExec>;
  Pipe(ex, b.get(), s.get(), n, chunk, seg_len).run();  // warm-up: pool growth, module load
  ex.sync();
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) Pipe(ex, b.get(), s.get(), n, chunk, seg_len).run();
  ex.sync();
  const double mean = since(t0) / (reps > 0 ? reps : 1);
  Pipe pipe(ex, b.get(), s.get(), n, chunk, seg_len);
  std::string out = "{";
  auto step = [&](const char* name, auto&& fn) {
    auto t = std::chrono::steady_clock::now();
    fn();
    ex.sync();
    out += std::string("\"") + name + "\":" + std::to_string(since(t)) + ",";
  };
  step("ones", [&] { pipe.ones(); });
  step("assign", [&] { pipe.assign(); });
  step("sort", [&] { pipe.sort(); });
  step("bounds", [&] { pipe.bounds(); });
  step("accumulate", [&] { pipe.accumulate(); });
  step("reduce", [&] { pipe.reduce(); });
  step("finish", [&] { pipe.finish("msm"); });
  const gpu::MsmLayout& L = pipe.layout();
  out += "\"window_bits\":" + std::to_string(L.c) + ",\"chunk\":" + std::to_string(L.chunk) +
         ",\"seg_len\":" + std::to_string(L.seg_len) +
         ",\"pairs\":" + std::to_string(pipe.pairs()) +
         ",\"mean_msm_seconds\":" + std::to_string(mean) + ",\"reps\":" + std::to_string(reps) + "}";
  ex.report(nullptr);
  return out;
}

}  // namespace

std::string cuda_g1_msm_profile(int device, const G1Aff* bases, const Scalar* scalars, size_t n, int reps,
                                uint32_t chunk, uint32_t seg_len) {
  return msm_profile<G1>(device, bases, scalars, n, reps, chunk, seg_len);
}

std::string cuda_g2_msm_profile(int device, const G2Aff* bases, const Scalar* scalars, size_t n, int reps,
                                uint32_t chunk, uint32_t seg_len) {
  return msm_profile<G2>(device, bases, scalars, n, reps, chunk, seg_len);
}

std::string cuda_hold_memory(int device, size_t leave_mib, double seconds,
                             const std::function<void(const std::string&)>& held) {
  need_device(device);
  CUDA_OK(cudaSetDevice(device));
  size_t free_b = 0, total_b = 0;
  CUDA_OK(cudaMemGetInfo(&free_b, &total_b));
  const size_t leave = leave_mib << 20, take = free_b > leave ? free_b - leave : 0;
  void* p = nullptr;
  if (take) CUDA_OK(cudaMalloc(&p, take));
  CUDA_OK(cudaMemGetInfo(&free_b, &total_b));
  held("{\"taken_mib\":" + std::to_string(take >> 20) + ",\"free_mib\":" + std::to_string(free_b >> 20) + "}");
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  if (p) CUDA_OK(cudaFree(p));
  return "{\"released_mib\":" + std::to_string(take >> 20) + "}";
}

std::string cuda_error_probe(int device) {
  need_device(device);
  gpu::CudaExec ex(device);
  try {
    auto huge = ex.alloc<Fr>(size_t(1) << 45);  // 1 PiB
    ex.sync();
  } catch (const ProverError& e) {
    return e.what();
  }
  return "no error";
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

// The known-answer canary (canary/canary.h) on device `device`: the checks of
// canary/checks.h over CudaExec, so the same MSM and NTT launches as a proof. No fault
// can be injected here.
canary::Report canary::run_cuda(int device, double memory_share, const KnownAnswers& answers) {
  const auto t0 = std::chrono::steady_clock::now();
  need_device(device);
  Report r;
  r.backend = "cuda";
  r.device = device;
  r.memory_share = memory_share;
  gpu::CudaExec ex(device);
  cudaDeviceProp prop;
  CUDA_OK(cudaGetDeviceProperties(&prop, device));
  r.device_name = std::string("CUDA device ") + std::to_string(device) + ": " + prop.name;
  // Measured after the compute checks, once their buffers went back to the driver.
  auto free_bytes = [&ex]() -> uint64_t {
    ex.sync();
    CUDA_OK(cudaDeviceSynchronize());
    size_t free_b = 0, total_b = 0;
    CUDA_OK(cudaMemGetInfo(&free_b, &total_b));
    return free_b;
  };
  canary::Checks<gpu::CudaExec>(ex, Fault::kNone, r).run_all(answers, memory_share, free_bytes);
  r.seconds = since(t0);
  return r;
}

}  // namespace pw
