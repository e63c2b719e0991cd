// Small helpers on 256-bit integers as four little-endian limbs, for deriving constants
// (Frobenius coefficients, exponents) from the moduli instead of copying them.
#pragma once
#include "bn254/ff/bn254.h"

namespace pw::wide {

constexpr uint64_t kP[4] = {FqParams::M0, FqParams::M1, FqParams::M2, FqParams::M3};
constexpr uint64_t kR[4] = {FrParams::M0, FrParams::M1, FrParams::M2, FrParams::M3};

inline void div_small(const uint64_t a[4], uint64_t d, uint64_t out[4]) {
  unsigned __int128 rem = 0;
  for (int i = 3; i >= 0; --i) {
    const unsigned __int128 cur = (rem << 64) | a[i];
    out[i] = (uint64_t)(cur / d);
    rem = cur % d;
  }
}

// out = a - b; returns the borrow.
inline uint64_t sub(const uint64_t a[4], const uint64_t b[4], uint64_t out[4]) {
  uint64_t br = 0;
  for (int i = 0; i < 4; ++i) out[i] = subb(a[i], b[i], br, br);
  return br;
}

// out = a + b; returns the carry.
inline uint64_t add(const uint64_t a[4], const uint64_t b[4], uint64_t out[4]) {
  uint64_t c = 0;
  for (int i = 0; i < 4; ++i) out[i] = addc(a[i], b[i], c, c);
  return c;
}

inline bool less(const uint64_t a[4], const uint64_t b[4]) {
  for (int i = 3; i >= 0; --i) {
    if (a[i] != b[i]) return a[i] < b[i];
  }
  return false;
}

inline Fq2 fq2_pow(const Fq2& x, const uint64_t e[4]) {
  Fq2 r = Fq2::one();
  for (int i = 3; i >= 0; --i) {
    for (int b = 63; b >= 0; --b) {
      r = r.sqr();
      if ((e[i] >> b) & 1) r = r * x;
    }
  }
  return r;
}

}  // namespace pw::wide
