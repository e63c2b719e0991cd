// Pippenger building blocks shared by the prover's CPU driver (prover/src/msm/msm_cpu.h),
// its CUDA kernels and the verifier's linear combinations: scalar recoding into signed
// windows, bucket accumulation and reduction.
#pragma once
#include "bn254/ec/curve.h"
#include "bn254/ff/scalar.h"

namespace pw {

// Windows needed for c-bit signed digits of a scalar below 2^254: the top window keeps
// at most c-1 bits, so the last carry is absorbed without an extra window.
PW_HOST_DEVICE inline int msm_windows(int c) { return (255 + c - 1) / c; }

PW_HOST_DEVICE inline uint32_t scalar_bits(const Scalar& k, int pos, int c) {
  int limb = pos >> 6, sh = pos & 63;
  if (limb >= 4) return 0;
  uint64_t v = k.l[limb] >> sh;
  if (sh + c > 64 && limb + 1 < 4) v |= k.l[limb + 1] << (64 - sh);
  return (uint32_t)(v & ((1ULL << c) - 1));
}

// Digits in [-2^(c-1), 2^(c-1)]; digit w goes to out[w * stride].
PW_HOST_DEVICE inline void recode_signed(const Scalar& k, int c, int nwin, int32_t* out, size_t stride) {
  uint32_t carry = 0;
  const int32_t half = 1 << (c - 1);
  for (int w = 0; w < nwin; ++w) {
    int32_t d = (int32_t)(scalar_bits(k, w * c, c) + carry);
    carry = 0;
    if (d > half) {
      d -= (1 << c);
      carry = 1;
    }
    out[(size_t)w * stride] = d;
  }
}

// Adds base (negated for a negative digit) into its bucket; bucket b holds digit b+1.
template <class C>
PW_HOST_DEVICE PW_INLINE void bucket_add(typename C::Acc* buckets, int32_t d, const typename C::Aff& base) {
  if (d > 0) {
    buckets[d - 1].add_affine(base);
  } else if (d < 0) {
    buckets[-d - 1].add_affine(base.neg());
  }
}

// sum_b (b+1) * bucket[b] with the running-sum trick: 2 additions per bucket.
template <class C>
PW_HOST_DEVICE typename C::Acc bucket_reduce(const typename C::Acc* buckets, int nbuckets) {
  typename C::Acc running = C::Acc::infinity(), total = C::Acc::infinity();
  for (int b = nbuckets - 1; b >= 0; --b) {
    running.add(buckets[b]);
    total.add(running);
  }
  return total;
}

}  // namespace pw
