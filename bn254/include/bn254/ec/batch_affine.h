// Host helpers: XYZZ -> affine for many points with one inversion (Montgomery's trick),
// and fixed-base scalar multiplication from a precomputed 8-bit window table.
#pragma once
#include <vector>

#include "bn254/ec/curve.h"
#include "bn254/util/thread_pool.h"

namespace pw {

template <class C>
void batch_to_affine(const typename C::Acc* in, typename C::Aff* out, size_t n) {
  using F = typename C::F;
  std::vector<F> prefix(n);
  F acc = F::one();
  for (size_t i = 0; i < n; ++i) {
    prefix[i] = acc;
    if (!in[i].is_inf()) acc *= in[i].ZZ * in[i].ZZZ;
  }
  F inv = acc.inverse();
  for (size_t i = n; i-- > 0;) {
    if (in[i].is_inf()) {
      out[i] = C::Aff::infinity();
      continue;
    }
    F zz_zzz = in[i].ZZ * in[i].ZZZ;
    F t = inv * prefix[i];  // 1/(ZZ*ZZZ) of point i
    inv *= zz_zzz;
    out[i] = typename C::Aff{in[i].X * (t * in[i].ZZZ), in[i].Y * (t * in[i].ZZ)};
  }
}

template <class C>
class FixedBase {
 public:
  static constexpr int kBits = 8, kWindows = 32, kEntries = 1 << kBits;
  explicit FixedBase(const typename C::Aff& g) : table_((size_t)kWindows * kEntries) {
    using Acc = typename C::Acc;
    std::vector<Acc> tmp((size_t)kWindows * kEntries, Acc::infinity());
    Acc base = Acc::from_affine(g);
    for (int w = 0; w < kWindows; ++w) {
      Acc cur = Acc::infinity();
      for (int d = 1; d < kEntries; ++d) {
        cur.add(base);
        tmp[(size_t)w * kEntries + d] = cur;
      }
      for (int i = 0; i < kBits; ++i) base.dbl();
    }
    batch_to_affine<C>(tmp.data(), table_.data(), tmp.size());
  }
  // k*g for k given as normal-form limbs.
  typename C::Acc mul(const uint64_t k[4]) const {
    auto acc = C::Acc::infinity();
    for (int w = 0; w < kWindows; ++w) {
      unsigned d = (unsigned)(k[w / 8] >> (8 * (w % 8))) & 0xff;
      if (d) acc.add_affine(table_[(size_t)w * kEntries + d]);
    }
    return acc;
  }
  // out[i] = scalars[i] * g (scalars in Montgomery form), across the pool.
  void mul_many(const std::vector<Fr>& scalars, std::vector<typename C::Aff>& out, ThreadPool& pool) const {
    out.resize(scalars.size());
    pool.parallel_range(
        scalars.size(),
        [&](size_t b, size_t e) {
          std::vector<typename C::Acc> acc(e - b);
          for (size_t i = b; i < e; ++i) {
            uint64_t k[4];
            scalars[i].to_normal(k);
            acc[i - b] = mul(k);
          }
          batch_to_affine<C>(acc.data(), out.data() + b, e - b);
        },
        256);
  }

 private:
  std::vector<typename C::Aff> table_;
};

}  // namespace pw
