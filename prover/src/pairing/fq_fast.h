// Fq addition, subtraction and Montgomery multiplication for the pairing's hot loops, on
// the prover's Fq representation (same limbs, same Montgomery form, bit-identical results).
// On x86-64 they are written with carry intrinsics, which g++ 12 turns into adc/sbb chains:
// about 170 instructions a product and 55 a sum, against about 400 and 100 for the generic
// Fp<P> operators in ff/field.h, whose carries go through unsigned __int128 temporaries.
// Elsewhere they fall back to those operators. The pairing self-test checks agreement.
#pragma once
#include "ff/bn254.h"

#if defined(__x86_64__) && !defined(__CUDACC__)
#include <x86intrin.h>
#define PW_FAST_FQ 1
#endif

// Inlined into every caller: as out-of-line calls the operands go through memory, which
// costs more than the arithmetic saves.
#if defined(__GNUC__)
#define PW_FAST_INLINE inline __attribute__((always_inline))
#else
#define PW_FAST_INLINE inline
#endif

namespace pw::fast {

#if PW_FAST_FQ
using u64 = unsigned long long;  // what the intrinsics take
constexpr u64 kM[4] = {FqParams::M0, FqParams::M1, FqParams::M2, FqParams::M3};

// t - q when t >= q, for t < 2q.
PW_FAST_INLINE Fq reduce(u64 t0, u64 t1, u64 t2, u64 t3) {
  u64 r0, r1, r2, r3;
  unsigned char b = _subborrow_u64(0, t0, kM[0], &r0);
  b = _subborrow_u64(b, t1, kM[1], &r1);
  b = _subborrow_u64(b, t2, kM[2], &r2);
  b = _subborrow_u64(b, t3, kM[3], &r3);
  const u64 keep = (u64)0 - b;  // all ones: t < q
  return Fq{{(t0 & keep) | (r0 & ~keep), (t1 & keep) | (r1 & ~keep), (t2 & keep) | (r2 & ~keep),
             (t3 & keep) | (r3 & ~keep)}};
}

PW_FAST_INLINE Fq add(const Fq& a, const Fq& b) {
  u64 s0, s1, s2, s3;
  unsigned char c = _addcarry_u64(0, a.l[0], b.l[0], &s0);
  c = _addcarry_u64(c, a.l[1], b.l[1], &s1);
  c = _addcarry_u64(c, a.l[2], b.l[2], &s2);
  _addcarry_u64(c, a.l[3], b.l[3], &s3);  // no carry out: q < 2^254
  return reduce(s0, s1, s2, s3);
}

PW_FAST_INLINE Fq sub(const Fq& a, const Fq& b) {
  u64 d0, d1, d2, d3;
  unsigned char br = _subborrow_u64(0, a.l[0], b.l[0], &d0);
  br = _subborrow_u64(br, a.l[1], b.l[1], &d1);
  br = _subborrow_u64(br, a.l[2], b.l[2], &d2);
  br = _subborrow_u64(br, a.l[3], b.l[3], &d3);
  const u64 m = (u64)0 - br;  // add q back after a borrow
  unsigned char c = _addcarry_u64(0, d0, kM[0] & m, &d0);
  c = _addcarry_u64(c, d1, kM[1] & m, &d1);
  c = _addcarry_u64(c, d2, kM[2] & m, &d2);
  _addcarry_u64(c, d3, kM[3] & m, &d3);
  return Fq{{d0, d1, d2, d3}};
}

// (hi, lo) = x*y + s; never overflows.
PW_FAST_INLINE void mac(u64 x, u64 y, u64 s, u64& lo, u64& hi) {
  const unsigned __int128 p = (unsigned __int128)x * y;
  u64 l = (u64)p;
  hi = (u64)(p >> 64) + _addcarry_u64(0, l, s, &l);
  lo = l;
}

// (hi, lo) = x*y + s + c; never overflows: (2^64 - 1)^2 + 2(2^64 - 1) < 2^128.
PW_FAST_INLINE void mac2(u64 x, u64 y, u64 s, u64 c, u64& lo, u64& hi) {
  mac(x, y, s, lo, hi);
  hi += _addcarry_u64(0, lo, c, &lo);
}

// CIOS Montgomery product in the "no carry" form ff/field.h uses (q's top limb < 2^62).
PW_FAST_INLINE Fq mul(const Fq& a, const Fq& b) {
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  for (int i = 0; i < 4; ++i) {
    const u64 bi = b.l[i];
    u64 A, C, lo;
    mac(a.l[0], bi, t0, t0, A);
    const u64 m = t0 * FqParams::INV;
    mac(m, kM[0], t0, lo, C);
    mac2(a.l[1], bi, t1, A, t1, A);
    mac2(m, kM[1], t1, C, t0, C);
    mac2(a.l[2], bi, t2, A, t2, A);
    mac2(m, kM[2], t2, C, t1, C);
    mac2(a.l[3], bi, t3, A, t3, A);
    mac2(m, kM[3], t3, C, t2, C);
    t3 = C + A;
  }
  return reduce(t0, t1, t2, t3);
}
#else
PW_FAST_INLINE Fq add(const Fq& a, const Fq& b) { return a + b; }
PW_FAST_INLINE Fq sub(const Fq& a, const Fq& b) { return a - b; }
PW_FAST_INLINE Fq mul(const Fq& a, const Fq& b) { return a * b; }
#endif

PW_FAST_INLINE Fq dbl(const Fq& a) { return add(a, a); }
PW_FAST_INLINE Fq neg(const Fq& a) { return sub(Fq::zero(), a); }

}  // namespace pw::fast
