// Known-answer canary: the prover's own GPU kernels (cuda/msm_pipeline.h, the NTT
// launches of cuda/groth16_gpu.h) on fixed inputs, compared with the CPU backend's
// answers, plus a write / read-back pass over a share of the device's free memory. A GPU
// whose arithmetic or memory silently corrupts results fails here before it is given a
// proof to make (issue 15). `proofwatch-prover canary` runs it; the prover service runs
// that command per GPU.
//
// Plain C++ (no CUDA header), like cuda/backend.h: the CLI needs none.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bn254/ec/curve.h"
#include "bn254/msm/pippenger.h"
#include "bn254/util/thread_pool.h"

namespace pw {
namespace canary {

// Fault injection for the tests: one bit flipped by a device kernel in the result of
// the largest G1 or G2 MSM (a window sum) or forward NTT, or in one word of the memory
// pass after it was written. Only the emulated run takes one (run_emulated): no option
// or variable can make a real GPU's canary lie.
enum class Fault { kNone, kG1Msm, kG2Msm, kNtt, kMemory };
// "g1_msm", "g2_msm", "ntt", "memory" -> the fault; false for anything else.
bool parse_fault(const std::string& name, Fault* out);

struct CheckResult {
  std::string name;    // unique in a report, e.g. "g1_msm_16384", "ntt_roundtrip_65536", "memory"
  std::string kind;    // bounded: g1_msm, g2_msm, ntt_forward, ntt_roundtrip, memory
  uint64_t size = 0;   // points, NTT length, or bytes tested
  bool passed = false;
  uint64_t mismatches = 0;  // points, field elements or 64-bit words that differ
  double seconds = 0;       // wall time of the check, uploads and downloads included
  std::string detail;       // the path it covers, or why it failed
};

struct Report {
  std::string backend;  // "cuda" or "cuda-emu"
  int device = 0;
  std::string device_name;
  double memory_share = 0;
  uint64_t free_bytes = 0;    // device memory free when the memory pass began
  uint64_t tested_bytes = 0;  // what the memory pass wrote and read back
  double answers_seconds = 0; // CPU time to compute the known answers
  double seconds = 0;         // every check, device set-up included
  std::vector<CheckResult> checks;
  bool passed() const;
  std::vector<std::string> failed() const;
};

// Fixed inputs (seeded, the same every run) and the CPU backend's answers for them.
template <class C>
struct MsmCase {
  std::vector<typename C::Aff> bases;
  std::vector<Scalar> scalars;
  typename C::Acc expected;
};
struct NttCase {
  int log_n = 0;
  std::vector<Fr> input;    // Montgomery form
  std::vector<Fr> forward;  // the CPU's forward NTT of input
};
struct KnownAnswers {
  std::vector<MsmCase<G1>> g1;
  std::vector<MsmCase<G2>> g2;
  std::vector<NttCase> ntt;
};
// Sizes are chosen to reach every MSM path (canary/README in prover/GPU.md, "Canary"):
// window sizes 5 to 13 including the top-window adjustment, one and many reduction
// groups, accumulation chunks cut across buckets, zero / one / r-1 / repeated scalars,
// bases at infinity; NTTs of 2^10 and 2^16.
KnownAnswers make_known_answers(ThreadPool& pool);

// memory_share in [0, 0.95]: the share of the device's free memory the memory pass
// covers (0 skips it). The CUDA run throws ProverError(kExitNoBackend) when CUDA is not
// built or the device is missing; CUDA errors during a check fail that check.
Report run_cuda(int device, double memory_share, const KnownAnswers& answers);
// The same checks on the grid emulator, whose "device" has kEmulatedDeviceBytes free.
constexpr uint64_t kEmulatedDeviceBytes = uint64_t(256) << 20;
Report run_emulated(double memory_share, Fault fault, const KnownAnswers& answers, ThreadPool& pool);

// One JSON object (contracts/canary-report.ts), and a human summary of a few lines.
std::string report_json(const Report& r);
std::string report_text(const Report& r);

}  // namespace canary
}  // namespace pw
