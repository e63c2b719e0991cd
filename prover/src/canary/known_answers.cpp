// The canary's fixed inputs and the CPU backend's answers for them. Inputs come from a
// fixed seed, so every run (and every machine) checks the same values; the answers are
// computed here at start (well under a second on two cores) rather than shipped, so they
// always come from the CPU code this binary proves with.
#include <chrono>

#include "canary/canary.h"
#include "msm/msm_cpu.h"
#include "ntt/ntt_cpu.h"
#include "util/splitmix.h"

namespace pw {
namespace canary {
namespace {

constexpr uint64_t kSeed = 0x63616e617279ull;  // "canary"

Scalar random_scalar(uint64_t& st) {
  for (;;) {
    Scalar k;
    for (auto& x : k.l) x = splitmix64(st);
    k.l[3] &= 0x3fffffffffffffffULL;
    if (Fr::is_canonical(k.l)) return k;
  }
}

// Every scalar shape that takes its own path through the kernels: zero and one (skipped
// by the digits, summed apart by OnesPartial), r - 1 (a carry out of every window), small
// values (empty upper windows), one value repeated across an eighth of the points (a few
// buckets cut across accumulation chunks), and full-width random values.
std::vector<Scalar> mixed_scalars(size_t n, uint64_t& st) {
  const Scalar rm1{{FrParams::M0 - 1, FrParams::M1, FrParams::M2, FrParams::M3}};
  const Scalar same = random_scalar(st);
  std::vector<Scalar> s(n);
  for (size_t i = 0; i < n; ++i) {
    switch (i % 8) {
      case 0: s[i] = Scalar{{0, 0, 0, 0}}; break;
      case 1: s[i] = Scalar{{1, 0, 0, 0}}; break;
      case 2: s[i] = rm1; break;
      case 3: s[i] = Scalar{{splitmix64(st) & 0xffff, 0, 0, 0}}; break;
      case 4: s[i] = same; break;
      default: s[i] = random_scalar(st);
    }
  }
  return s;
}

// Per run of 256 points, a random multiple of the generator then steps of a random Q
// (distinct with overwhelming probability, cheap); every 61st base at infinity.
template <class C>
std::vector<typename C::Aff> bases(size_t n, uint64_t& st, ThreadPool& pool) {
  using Aff = typename C::Aff;
  using Acc = typename C::Acc;
  const size_t run = 256, runs = (n + run - 1) / run;
  std::vector<Scalar> k(runs);
  for (auto& x : k) x = random_scalar(st);
  const Scalar q = random_scalar(st);
  const Acc g = Acc::from_affine(C::generator());
  const Aff step = scalar_mul(g, q.l).to_affine();
  std::vector<Aff> p(n);
  pool.parallel_for(runs, [&](size_t r) {
    Acc acc = scalar_mul(g, k[r].l);
    for (size_t i = r * run; i < n && i < (r + 1) * run; ++i) {
      p[i] = i % 61 == 17 ? Aff::infinity() : acc.to_affine();
      acc.add_affine(step);
    }
  });
  return p;
}

template <class C>
MsmCase<C> msm_case(size_t n, uint64_t& st, ThreadPool& pool) {
  MsmCase<C> mc;
  mc.scalars = mixed_scalars(n, st);
  mc.bases = bases<C>(n, st, pool);
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
