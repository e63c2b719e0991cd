// Seeded inputs for known-answer checks of the MSM kernels: scalars of every shape that takes
// its own path through them, and many distinct curve points made cheaply. The canary draws its
// fixed inputs from here, and the emulator tests (prover/tests/cuda_emu.cpp) their random ones.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bn254/ec/curve.h"
#include "bn254/msm/pippenger.h"
#include "bn254/util/thread_pool.h"
#include "msm/msm_cpu.h"
#include "util/splitmix.h"

namespace pw {

/** A uniformly random canonical scalar of Fr, drawn from the splitmix state `st`. */
inline Scalar random_scalar(uint64_t& st) {
  for (;;) {
    Scalar k;
    for (auto& x : k.l) x = splitmix64(st);
    k.l[3] &= 0x3fffffffffffffffULL;
    if (Fr::is_canonical(k.l)) return k;
  }
}

// Zero and one (skipped by the digits, summed apart by OnesPartial), r - 1 (a carry out of
// every window), small values (empty upper windows), one value repeated across an eighth of the
// points (a few buckets cut across accumulation chunks), and full-width random values.
inline std::vector<Scalar> mixed_scalars(size_t n, uint64_t& st) {
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

/**
 * `n` points of curve C: per run of 256, a random multiple of the generator, then steps of a
 * random Q (distinct with overwhelming probability, and cheap enough for 2^22 of them). With
 * `infinity_every` > 0, the base at each index i with i % infinity_every == infinity_at is the
 * point at infinity instead.
 */
template <class C>
std::vector<typename C::Aff> seeded_bases(size_t n, uint64_t& st, ThreadPool& pool,
                                          size_t infinity_every = 0, size_t infinity_at = 0) {
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
      const bool infinity = infinity_every > 0 && i % infinity_every == infinity_at;
      p[i] = infinity ? Aff::infinity() : acc.to_affine();
      acc.add_affine(step);
    }
  });
  return p;
}

}  // namespace pw
