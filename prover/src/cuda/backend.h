// GPU backend of the Groth16 prover, as the rest of the prover sees it: a circuit whose
// zkey points live on the device, proving many witnesses (NTTs, h, and the a, b1, b2, c,
// h MSMs); the CPU does build_abc and finalize.
// Plain C++: no CUDA header here, so the CPU build and the CLI need none.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bn254/ec/curve.h"
#include "bn254/msm/pippenger.h"

namespace pw {

struct Zkey;
class ThreadPool;
using Timings = std::vector<std::pair<std::string, double>>;

class GpuCircuit {
 public:
  virtual ~GpuCircuit() = default;
  struct MsmResults {
    G1::Acc a, b1, c, h;
    G2::Acc b2;
  };
  // a, b, c: QAP evaluations on the domain (Montgomery Fr, domain_size each);
  // witness: nVars normal-form values. Appends per-phase seconds and, for every
  // transfer, "<label>_bytes" and "<label>_seconds" to timings when given.
  // Safe to call from several threads (proofs run one at a time).
  virtual MsmResults prove_msms(const std::vector<Fr>& a, const std::vector<Fr>& b, const std::vector<Fr>& c,
                             const std::vector<Scalar>& witness, bool h_bitflip, Timings* timings) = 0;
  virtual std::string describe() const = 0;
};

// True when this binary was built with the CUDA backend (nvcc found at configure time).
bool cuda_backend_built();
// The CUDA runtime this binary was built with (cudaRuntimeGetVersion) and the newest CUDA
// the installed driver supports (cudaDriverGetVersion), as CUDA encodes them: major * 1000 +
// minor * 10. 0 where there is none (no CUDA build, no driver); `why` then says which.
struct CudaVersions {
  int runtime = 0;
  int driver = 0;
  std::string why;
};
CudaVersions cuda_versions();
// "12.4" for 12040; "" for 0.
inline std::string cuda_version_string(int encoded) {
  if (encoded <= 0) return "";
  return std::to_string(encoded / 1000) + "." + std::to_string(encoded % 1000 / 10);
}
// Usable CUDA devices; 0 without a CUDA build, a driver or a device (never throws).
// why, when given, receives the reason for 0.
int cuda_device_count(std::string* why = nullptr);
// Uploads the zkey's points, twiddles and coset table to device `device` once.
// Throws ProverError(kExitNoBackend) when CUDA is not built or the device is missing,
// ProverError(kExitInternal) with the failing call and place on a CUDA error,
// including out of device memory.
std::unique_ptr<GpuCircuit> make_cuda_circuit(const Zkey& zkey, int device);
// The same pipeline on the grid emulator (host memory, CPU threads): for tests.
std::unique_ptr<GpuCircuit> make_emulated_circuit(const Zkey& zkey, ThreadPool& pool);

// Single operations on device `device`, for the GPU tests and benchmarks
// (prover-cuda-emu gpu_*): host arrays in and out, transfers included; seconds, when
// given, receives the wall time of the device part (upload to download).
G1::Acc cuda_g1_msm(int device, const G1Aff* bases, const Scalar* scalars, size_t n, double* seconds = nullptr);
G2::Acc cuda_g2_msm(int device, const G2Aff* bases, const Scalar* scalars, size_t n, double* seconds = nullptr);
// In place, natural order; the inverse includes 1/n.
void cuda_ntt(int device, Fr* values, int log_n, bool inverse, double* seconds = nullptr);
// Device-only MSM timing (points and scalars resident, `reps` runs after one warm-up):
// a JSON object of seconds per pipeline step (each step synchronised) and the mean
// unsynchronised total per MSM. chunk and seg_len, when not 0, replace the layout's sorted
// pairs per accumulation thread and buckets per reduction thread (to compare settings).
std::string cuda_g1_msm_profile(int device, const G1Aff* bases, const Scalar* scalars, size_t n, int reps,
                                uint32_t chunk = 0, uint32_t seg_len = 0);
std::string cuda_g2_msm_profile(int device, const G2Aff* bases, const Scalar* scalars, size_t n, int reps,
                                uint32_t chunk = 0, uint32_t seg_len = 0);
// Takes all but `leave_mib` MiB of device `device`'s free memory for `seconds` (another
// process's footprint, to check the prover's own memory check and fallback). held is
// called once the memory is taken, with a JSON object of the MiB taken and left free.
std::string cuda_hold_memory(int device, size_t leave_mib, double seconds,
                             const std::function<void(const std::string&)>& held);
// Asks device `device` for an impossible allocation through the same checked path as
// every buffer, and returns the error message the prover would print.
std::string cuda_error_probe(int device);

}  // namespace pw
