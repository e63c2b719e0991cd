// The canary's fixed inputs and the CPU backend's answers for them. Inputs come from a
// fixed seed, so every run (and every machine) checks the same values; the answers are
// computed here at start (well under a second on two cores) rather than shipped, so they
// always come from the CPU code this binary proves with.
#include <chrono>

#include "canary/canary.h"
#include "canary/inputs.h"
#include "msm/msm_cpu.h"
#include "ntt/ntt_cpu.h"

namespace pw {
namespace canary {
namespace {

constexpr uint64_t kSeed = 0x63616e617279ull;  // "canary"

template <class C>
MsmCase<C> msm_case(size_t n, uint64_t& st, ThreadPool& pool) {
  MsmCase<C> mc;
  mc.scalars = mixed_scalars(n, st);
  // Every 61st base at infinity, from index 17: the kernels' skip of such points is checked too.
  mc.bases = seeded_bases<C>(n, st, pool, 61, 17);
  mc.expected = msm_cpu<C>(mc.bases.data(), mc.scalars.data(), n, pool);
  return mc;
}

NttCase ntt_case(int log_n, uint64_t& st, ThreadPool& pool) {
  NttCase nc;
  nc.log_n = log_n;
  nc.input.resize(size_t(1) << log_n);
  for (Fr& x : nc.input) x = Fr::from_normal(random_scalar(st).l);
  nc.forward = nc.input;
  NttDomain(log_n).forward(nc.forward.data(), pool);
  return nc;
}

}  // namespace

KnownAnswers make_known_answers(ThreadPool& pool) {
  uint64_t st = kSeed;
  KnownAnswers ka;
  // Window bits (cuda/kernels.h msm_layout): 256 -> 5 (one segment, one group);
  // 4095 -> 8 (8 segments, one group); 16384 -> 10 (32 segments in 2 groups); 65534 ->
  // 12, moved to 13 by the top-window rule (256 segments in 16 groups).
  for (size_t n : {size_t(256), size_t(4095), size_t(16384), size_t(65534)}) ka.g1.push_back(msm_case<G1>(n, st, pool));
  // G2: the same kernels over Fq2 at window bits 5 and 8.
  for (size_t n : {size_t(256), size_t(2048)}) ka.g2.push_back(msm_case<G2>(n, st, pool));
  for (int log_n : {10, 16}) ka.ntt.push_back(ntt_case(log_n, st, pool));
  return ka;
}

bool parse_fault(const std::string& name, Fault* out) {
  if (name == "g1_msm") *out = Fault::kG1Msm;
  else if (name == "g2_msm") *out = Fault::kG2Msm;
  else if (name == "ntt") *out = Fault::kNtt;
  else if (name == "memory") *out = Fault::kMemory;
  else return false;
  return true;
}

}  // namespace canary
}  // namespace pw
