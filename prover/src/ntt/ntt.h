// Radix-2 NTT over Fr: the butterfly and index maths shared with the device backend.
#pragma once
#include <cstddef>

#include "bn254/ff/bn254.h"

namespace pw {

PW_HOST_DEVICE inline uint32_t bit_reverse(uint32_t x, int bits) {
  uint32_t r = 0;
  for (int i = 0; i < bits; ++i) {
    r = (r << 1) | (x & 1);
    x >>= 1;
  }
  return r;
}

// Cooley-Tukey butterfly j of the stage with blocks of 2^(log_half+1) (input in
// bit-reversed order, output natural). tw[i] = w^i for the full size 2^log_n, i < n/2.
PW_HOST_DEVICE PW_FORCE_INLINE void ntt_butterfly(Fr* a, const Fr* tw, size_t j, int log_half, int log_n) {
  const size_t half = size_t(1) << log_half;
  const size_t pos = j & (half - 1);
  const size_t i0 = ((j >> log_half) << (log_half + 1)) + pos, i1 = i0 + half;
  Fr t = a[i1] * tw[pos << (log_n - 1 - log_half)];
  Fr u = a[i0];
  a[i0] = u + t;
  a[i1] = u - t;
}

// Primitive 2^log_n-th root of unity 5^((r-1)/2^log_n), the root snarkjs uses.
PW_HOST_DEVICE inline Fr root_of_unity(int log_n) {
  uint64_t e[4] = {FrParams::M0 - 1, FrParams::M1, FrParams::M2, FrParams::M3};
  for (int s = 0; s < log_n; ++s) {
    e[0] = (e[0] >> 1) | (e[1] << 63);
    e[1] = (e[1] >> 1) | (e[2] << 63);
    e[2] = (e[2] >> 1) | (e[3] << 63);
    e[3] >>= 1;
  }
  return Fr::from_u64(FrParams::GENERATOR).pow(e);
}

}  // namespace pw
