// Prime field in Montgomery form (R = 2^256), four 64-bit limbs, CIOS multiplication.
// One template serves Fr and Fq; the parameter struct carries the modulus as scalar
// constants (not arrays) so device code needs no __constant__ tables.
//
// Two backends with bit-identical results (backend.h): on x86-64 hosts with BMI2 and ADX
// the operators run the assembly of x86_64_asm.h (MULX/ADX products, adc/sbb sums),
// chosen at run time; everywhere else, device code included, the portable C++ below
// (the *_portable members, which the tests also call directly).
#pragma once
#include "bn254/ff/x86_64_asm.h"
#include "bn254/util/host_device.h"

// Where the assembly backend is compiled in, a large portable fallback can be called out of
// line (it runs only on CPUs without MULX/ADX or when forced). Used for the Fq2 product,
// whose portable Karatsuba inlined beside the assembly cost the pairing a few percent; the
// Fq product and square keep theirs inline, which the prover's MSMs measured faster.
#if BN254_X86_ASM
#define BN254_COLD_FALLBACK(expr) ([&]() __attribute__((noinline, cold)) { return expr; }())
#else
#define BN254_COLD_FALLBACK(expr) (expr)
#endif

namespace pw {

template <class P>
struct Fp {
  using Params = P;
  uint64_t l[4];

  PW_HOST_DEVICE static constexpr Fp zero() { return Fp{{0, 0, 0, 0}}; }
  PW_HOST_DEVICE static constexpr Fp one() { return Fp{{P::R0, P::R1, P::R2, P::R3}}; }
  PW_HOST_DEVICE static constexpr Fp modulus() { return Fp{{P::M0, P::M1, P::M2, P::M3}}; }
  // Montgomery representation given raw limbs (as stored in zkey points).
  PW_HOST_DEVICE static constexpr Fp from_mont_limbs(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    return Fp{{a, b, c, d}};
  }

  PW_HOST_DEVICE bool is_zero() const { return (l[0] | l[1] | l[2] | l[3]) == 0; }
  PW_HOST_DEVICE bool operator==(const Fp& o) const {
    return ((l[0] ^ o.l[0]) | (l[1] ^ o.l[1]) | (l[2] ^ o.l[2]) | (l[3] ^ o.l[3])) == 0;
  }
  PW_HOST_DEVICE bool operator!=(const Fp& o) const { return !(*this == o); }

  // Raw limbs compared with the modulus: true when the value is a canonical residue.
  PW_HOST_DEVICE static bool is_canonical(const uint64_t a[4]) {
    const uint64_t m[4] = {P::M0, P::M1, P::M2, P::M3};
    for (int i = 3; i >= 0; --i) {
      if (a[i] < m[i]) return true;
      if (a[i] > m[i]) return false;
    }
    return false;
  }

  // t - m when t >= m (top is an extra high bit of t), branch-free.
  PW_HOST_DEVICE PW_FORCE_INLINE static void reduce_once(uint64_t t[4], uint64_t top) {
    const uint64_t m[4] = {P::M0, P::M1, P::M2, P::M3};
    uint64_t r[4], br = 0;
    PW_UNROLL
    for (int i = 0; i < 4; ++i) r[i] = subb(t[i], m[i], br, br);
    const uint64_t keep = (uint64_t)0 - (br & (top ^ 1));  // all ones: t < m, keep t
    PW_UNROLL
    for (int i = 0; i < 4; ++i) t[i] = (t[i] & keep) | (r[i] & ~keep);
  }

  PW_HOST_DEVICE PW_FORCE_INLINE Fp operator+(const Fp& b) const {
#if BN254_X86_ASM
    Fp r;
    x86::add<P>(l, b.l, r.l);
    return r;
#else
    return add_portable(b);
#endif
  }
  PW_HOST_DEVICE PW_FORCE_INLINE Fp add_portable(const Fp& b) const {
    Fp r;
    uint64_t c = 0;
    PW_UNROLL
    for (int i = 0; i < 4; ++i) r.l[i] = addc(l[i], b.l[i], c, c);
    reduce_once(r.l, c);
    return r;
  }

  PW_HOST_DEVICE PW_FORCE_INLINE Fp operator-(const Fp& b) const {
#if BN254_X86_ASM
    Fp r;
    x86::sub<P>(l, b.l, r.l);
    return r;
#else
    return sub_portable(b);
#endif
  }
  PW_HOST_DEVICE PW_FORCE_INLINE Fp sub_portable(const Fp& b) const {
    const uint64_t m[4] = {P::M0, P::M1, P::M2, P::M3};
    Fp r;
    uint64_t br = 0;
    PW_UNROLL
    for (int i = 0; i < 4; ++i) r.l[i] = subb(l[i], b.l[i], br, br);
    const uint64_t mask = (uint64_t)0 - br;  // add the modulus back after a borrow
    uint64_t c = 0;
    PW_UNROLL
    for (int i = 0; i < 4; ++i) r.l[i] = addc(r.l[i], m[i] & mask, c, c);
    return r;
  }

  PW_HOST_DEVICE PW_INLINE Fp operator-() const { return zero() - *this; }
  PW_HOST_DEVICE PW_INLINE Fp dbl() const { return *this + *this; }

  // Montgomery product a*b/R mod p; correct for operands below 2^255 (sums of two
  // reduced values left unreduced) on both backends.
  PW_HOST_DEVICE PW_FORCE_INLINE Fp operator*(const Fp& b) const {
#if BN254_X86_ASM
    if (__builtin_expect(field_backend::kMulxAdx, 1)) {
      Fp r;
      x86::mul_mulx<P>(l, b.l, r.l);
      return r;
    }
#endif
    return mul_portable(b);
  }

  // (a*b + c*d)/R mod p with one reduction: the Fq2 product and norm. Operands below p
  // (p itself allowed).
  PW_HOST_DEVICE PW_FORCE_INLINE static Fp dot2(const Fp& a, const Fp& b, const Fp& c, const Fp& d) {
#if BN254_X86_ASM
    if (__builtin_expect(field_backend::kMulxAdx, 1)) {
      Fp r;
      x86::dot2_mulx<P>(a.l, b.l, c.l, d.l, r.l);
      return r;
    }
#endif
    return dot2_portable(a, b, c, d);
  }
  PW_HOST_DEVICE PW_FORCE_INLINE static Fp dot2_portable(const Fp& a, const Fp& b, const Fp& c, const Fp& d) {
    uint64_t s0[8], s1[8], carry = 0;
    mul_wide(a.l, b.l, s0);
    mul_wide(c.l, d.l, s1);
    PW_UNROLL
    for (int j = 0; j < 8; ++j) s0[j] = addc(s0[j], s1[j], carry, carry);  // < 2p^2 < pR
    return redc(s0);
  }

  // CIOS Montgomery product a*b/R mod p, in the "no carry" form: both BN254 moduli
  // have a top limb below 2^62, so the running value fits four limbs and stays < 2p.
  PW_HOST_DEVICE PW_FORCE_INLINE Fp mul_portable(const Fp& b) const {
    const uint64_t m[4] = {P::M0, P::M1, P::M2, P::M3};
    uint64_t t[4] = {0, 0, 0, 0};
    PW_UNROLL
    for (int i = 0; i < 4; ++i) {
      uint64_t A, C;
      t[0] = mac(l[0], b.l[i], t[0], 0, A);
      const uint64_t k = t[0] * P::INV;
      mac(k, m[0], t[0], 0, C);
      PW_UNROLL
      for (int j = 1; j < 4; ++j) {
        t[j] = mac(l[j], b.l[i], t[j], A, A);
        t[j - 1] = mac(k, m[j], t[j], C, C);
      }
      t[3] = C + A;
    }
    Fp r{{t[0], t[1], t[2], t[3]}};
    reduce_once(r.l, 0);
    return r;
  }

  // Unreduced pieces for sums of products reduced once (Fq2 multiplication): the plain
  // 512-bit product, sums of two values below 2p (< 2^255, no carry out), and the
  // Montgomery reduction w/R mod p of any w < p*R.
  PW_HOST_DEVICE PW_FORCE_INLINE static void mul_wide(const uint64_t a[4], const uint64_t b[4], uint64_t w[8]) {
    PW_UNROLL
    for (int i = 0; i < 8; ++i) w[i] = 0;
    PW_UNROLL
    for (int i = 0; i < 4; ++i) {
      uint64_t c = 0;
      PW_UNROLL
      for (int j = 0; j < 4; ++j) w[i + j] = mac(a[j], b[i], w[i + j], c, c);
      w[i + 4] = c;
    }
  }
  PW_HOST_DEVICE PW_FORCE_INLINE static void sqr_wide(const uint64_t a[4], uint64_t w[8]) {
    uint64_t c = 0;
    // Cross products a_i*a_j, i < j, into w[1..6].
    w[0] = 0;
    w[1] = mac(a[1], a[0], 0, 0, c);
    w[2] = mac(a[2], a[0], 0, c, c);
    w[3] = mac(a[3], a[0], 0, c, c);
    w[4] = c;
    w[3] = mac(a[2], a[1], w[3], 0, c);
    w[4] = mac(a[3], a[1], w[4], c, c);
    w[5] = c;
    w[5] = mac(a[3], a[2], w[5], 0, c);
    w[6] = c;
    // Doubled (the sum is below 2^511), then the squares a_i^2 added on the diagonal.
    w[7] = w[6] >> 63;
    PW_UNROLL
    for (int i = 6; i > 1; --i) w[i] = (w[i] << 1) | (w[i - 1] >> 63);
    w[1] <<= 1;
    c = 0;
    PW_UNROLL
    for (int i = 0; i < 4; ++i) {
      uint64_t hi;
      const uint64_t lo = mac(a[i], a[i], 0, 0, hi);
      w[2 * i] = addc(w[2 * i], lo, c, c);
      w[2 * i + 1] = addc(w[2 * i + 1], hi, c, c);
    }
  }
  PW_HOST_DEVICE PW_FORCE_INLINE static void add_raw(const uint64_t a[4], const uint64_t b[4], uint64_t out[4]) {
    uint64_t c = 0;
    PW_UNROLL
    for (int i = 0; i < 4; ++i) out[i] = addc(a[i], b[i], c, c);
  }
  PW_HOST_DEVICE PW_FORCE_INLINE static Fp redc(uint64_t w[8]) {
    const uint64_t m[4] = {P::M0, P::M1, P::M2, P::M3};
    uint64_t top = 0;
    PW_UNROLL
    for (int i = 0; i < 4; ++i) {
      const uint64_t k = w[i] * P::INV;
      uint64_t c = 0;
      PW_UNROLL
      for (int j = 0; j < 4; ++j) w[i + j] = mac(k, m[j], w[i + j], c, c);
      w[i + 4] = addc(w[i + 4], c, top, top);
    }
    Fp r{{w[4], w[5], w[6], w[7]}};  // < 2p since w < pR
    reduce_once(r.l, 0);
    return r;
  }

  PW_HOST_DEVICE PW_FORCE_INLINE Fp& operator+=(const Fp& b) { return *this = *this + b; }
  PW_HOST_DEVICE PW_FORCE_INLINE Fp& operator-=(const Fp& b) { return *this = *this - b; }
  PW_HOST_DEVICE PW_FORCE_INLINE Fp& operator*=(const Fp& b) { return *this = *this * b; }
  PW_HOST_DEVICE PW_FORCE_INLINE Fp sqr() const {
#if BN254_X86_ASM
    if (__builtin_expect(field_backend::kMulxAdx, 1)) {
      Fp r;
      x86::sqr_mulx<P>(l, r.l);
      return r;
    }
#endif
    return sqr_portable();
  }
  // Squaring computes each cross product a_i*a_j once and doubles the sum: 10 limb
  // products instead of 16 before the same Montgomery reduction (about 3% fewer
  // instructions in the CPU MSMs). Device code keeps the plain product: not measured
  // on a GPU yet.
  PW_HOST_DEVICE PW_INLINE Fp sqr_portable() const {
#if defined(__CUDA_ARCH__)
    return mul_portable(*this);
#else
    uint64_t w[8];
    sqr_wide(l, w);
    return redc(w);
#endif
  }

  // Normal-form limbs (must be < p) to Montgomery form, and back.
  PW_HOST_DEVICE static Fp from_normal(const uint64_t a[4]) {
    Fp x{{a[0], a[1], a[2], a[3]}};
    return x * Fp{{P::RR0, P::RR1, P::RR2, P::RR3}};
  }
  PW_HOST_DEVICE static Fp from_u64(uint64_t v) {
    const uint64_t a[4] = {v, 0, 0, 0};
    return from_normal(a);
  }
  PW_HOST_DEVICE void to_normal(uint64_t out[4]) const {
    Fp r = *this * Fp{{1, 0, 0, 0}};
    PW_UNROLL
    for (int i = 0; i < 4; ++i) out[i] = r.l[i];
  }

  // this^e for e given as four normal-form limbs. On the host with 4-bit windows: 255
  // squarings and at most 64 products (plus 14 for the table) instead of up to 256
  // products; every inversion of the batch-affine MSMs goes through here. Device code
  // keeps the bit-by-bit loop (no local table).
  PW_HOST_DEVICE Fp pow(const uint64_t e[4]) const {
#if !defined(__CUDA_ARCH__)
    Fp table[16];
    table[0] = one();
    table[1] = *this;
    for (int i = 2; i < 16; ++i) table[i] = table[i - 1] * *this;
    Fp acc = one();
    for (int i = 3; i >= 0; --i) {
      for (int nib = 15; nib >= 0; --nib) {
        acc = acc.sqr().sqr().sqr().sqr();
        const unsigned d = (unsigned)(e[i] >> (4 * nib)) & 15;
        if (d) acc = acc * table[d];
      }
    }
    return acc;
#else
    Fp r = one();
    for (int i = 3; i >= 0; --i) {
      for (int b = 63; b >= 0; --b) {
        r = r.sqr();
        if ((e[i] >> b) & 1) r = r * *this;
      }
    }
    return r;
#endif
  }

  // Fermat inverse; the inverse of zero is zero.
  PW_HOST_DEVICE Fp inverse() const {
    const uint64_t e[4] = {P::M0 - 2, P::M1, P::M2, P::M3};
    return pow(e);
  }
};

}  // namespace pw
