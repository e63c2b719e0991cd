// BN254 (alt_bn128) scalar field Fr and base field Fq.
#pragma once
#include "bn254/ff/field.h"

namespace pw {

struct FqParams {
  static constexpr uint64_t M0 = 0x3c208c16d87cfd47ULL, M1 = 0x97816a916871ca8dULL,
                            M2 = 0xb85045b68181585dULL, M3 = 0x30644e72e131a029ULL;
  static constexpr uint64_t INV = 0x87d20782e4866389ULL;  // -p^-1 mod 2^64
  static constexpr uint64_t R0 = 0xd35d438dc58f0d9dULL, R1 = 0x0a78eb28f5c70b3dULL,
                            R2 = 0x666ea36f7879462cULL, R3 = 0x0e0a77c19a07df2fULL;  // R mod p
  static constexpr uint64_t RR0 = 0xf32cfc5b538afa89ULL, RR1 = 0xb5e71911d44501fbULL,
                            RR2 = 0x47ab1eff0a417ff6ULL, RR3 = 0x06d89f71cab8351fULL;  // R^2 mod p
};

struct FrParams {
  static constexpr uint64_t M0 = 0x43e1f593f0000001ULL, M1 = 0x2833e84879b97091ULL,
                            M2 = 0xb85045b68181585dULL, M3 = 0x30644e72e131a029ULL;
  static constexpr uint64_t INV = 0xc2e1f593efffffffULL;
  static constexpr uint64_t R0 = 0xac96341c4ffffffbULL, R1 = 0x36fc76959f60cd29ULL,
                            R2 = 0x666ea36f7879462eULL, R3 = 0x0e0a77c19a07df2fULL;
  static constexpr uint64_t RR0 = 0x1bb8e645ae216da7ULL, RR1 = 0x53fe3ab1e35c59e3ULL,
                            RR2 = 0x8c49833d53bb8085ULL, RR3 = 0x0216d0b17f4e44a5ULL;
  static constexpr int TWO_ADICITY = 28;
  static constexpr uint64_t GENERATOR = 5;  // the non-residue snarkjs/ffjavascript root their domains on
};

using Fq = Fp<FqParams>;
using Fr = Fp<FrParams>;

// Fq2 = Fq[u]/(u^2 + 1).
struct Fq2 {
  Fq c0, c1;

  PW_HOST_DEVICE static constexpr Fq2 zero() { return Fq2{Fq::zero(), Fq::zero()}; }
  PW_HOST_DEVICE static constexpr Fq2 one() { return Fq2{Fq::one(), Fq::zero()}; }
  PW_HOST_DEVICE bool is_zero() const { return c0.is_zero() && c1.is_zero(); }
  PW_HOST_DEVICE bool operator==(const Fq2& o) const { return c0 == o.c0 && c1 == o.c1; }
  PW_HOST_DEVICE bool operator!=(const Fq2& o) const { return !(*this == o); }
  // Sums forced inline (PW_INLINE is only a hint on the host): out of line they cost the
  // pairing about 10% (each a call for a few instructions).
  PW_HOST_DEVICE PW_FORCE_INLINE Fq2 operator+(const Fq2& b) const { return Fq2{c0 + b.c0, c1 + b.c1}; }
  PW_HOST_DEVICE PW_FORCE_INLINE Fq2 operator-(const Fq2& b) const { return Fq2{c0 - b.c0, c1 - b.c1}; }
  PW_HOST_DEVICE PW_FORCE_INLINE Fq2 operator-() const { return Fq2{-c0, -c1}; }
  PW_HOST_DEVICE PW_FORCE_INLINE Fq2 dbl() const { return *this + *this; }
  PW_HOST_DEVICE PW_DEVICE_CALL Fq2 operator*(const Fq2& b) const {
#if BN254_X86_ASM
    // Two dot products with one reduction each: c0 = a0 b0 + (p - a1) b1, c1 = a0 b1 + a1 b0.
    if (__builtin_expect(field_backend::kMulxAdx, 1)) {
      Fq2 r;
      uint64_t neg_c1[4];
      const uint64_t zero[4] = {0, 0, 0, 0};
      x86::sub<FqParams>(zero, c1.l, neg_c1);
      x86::dot2_mulx<FqParams>(c0.l, b.c0.l, neg_c1, b.c1.l, r.c0.l);
      x86::dot2_mulx<FqParams>(c0.l, b.c1.l, c1.l, b.c0.l, r.c1.l);
      return r;
    }
#endif
    return BN254_COLD_FALLBACK(mul_portable(b));
  }
  // Karatsuba with one Montgomery reduction per coefficient instead of one per product:
  // three 512-bit products, then c0 = a0b0 - a1b1 (plus p*R when negative) and
  // c1 = (a0 + a1)(b0 + b1) - a0b0 - a1b1, both below p*R as the reduction needs.
  PW_HOST_DEVICE PW_FORCE_INLINE Fq2 mul_portable(const Fq2& b) const {
    uint64_t t0[8], t1[8], t2[8], sa[4], sb[4];
    Fq::mul_wide(c0.l, b.c0.l, t0);
    Fq::mul_wide(c1.l, b.c1.l, t1);
    Fq::add_raw(c0.l, c1.l, sa);
    Fq::add_raw(b.c0.l, b.c1.l, sb);
    Fq::mul_wide(sa, sb, t2);
    uint64_t br = 0, c = 0, d[8];
    PW_UNROLL
    for (int i = 0; i < 8; ++i) d[i] = subb(t0[i], t1[i], br, br);
    const uint64_t mask = (uint64_t)0 - br;
    const uint64_t m[4] = {FqParams::M0, FqParams::M1, FqParams::M2, FqParams::M3};
    PW_UNROLL
    for (int i = 0; i < 4; ++i) d[i + 4] = addc(d[i + 4], m[i] & mask, c, c);
    br = 0;
    PW_UNROLL
    for (int i = 0; i < 8; ++i) t2[i] = subb(t2[i], t0[i], br, br);
    br = 0;
    PW_UNROLL
    for (int i = 0; i < 8; ++i) t2[i] = subb(t2[i], t1[i], br, br);
    return Fq2{Fq::redc(d), Fq::redc(t2)};
  }
  // (c0 + c1)(c0 - c1) + 2 c0 c1 u. On the host the sums that only feed a product stay
  // unreduced (below 2p < 2^255, which both products accept).
  PW_HOST_DEVICE PW_DEVICE_CALL Fq2 sqr() const {
#if defined(__CUDA_ARCH__)
    Fq t = c0 * c1;
    return Fq2{(c0 + c1) * (c0 - c1), t.dbl()};
#else
#if BN254_X86_ASM
    if (__builtin_expect(field_backend::kMulxAdx, 1)) {
      Fq2 r;
      uint64_t s[4], d[4], t[4];
      x86::add_unreduced(c0.l, c1.l, s);
      x86::sub<FqParams>(c0.l, c1.l, d);
      x86::add_unreduced(c1.l, c1.l, t);
      x86::mul_mulx<FqParams>(s, d, r.c0.l);
      x86::mul_mulx<FqParams>(c0.l, t, r.c1.l);
      return r;
    }
#endif
    Fq s, d;
#if BN254_X86_ASM
    x86::add_unreduced(c0.l, c1.l, s.l);
    x86::add_unreduced(c1.l, c1.l, d.l);
#else
    Fq::add_raw(c0.l, c1.l, s.l);
    Fq::add_raw(c1.l, c1.l, d.l);
#endif
    return Fq2{s * (c0 - c1), c0 * d};
#endif
  }
  PW_HOST_DEVICE PW_FORCE_INLINE Fq2& operator+=(const Fq2& b) { return *this = *this + b; }
  PW_HOST_DEVICE PW_FORCE_INLINE Fq2& operator-=(const Fq2& b) { return *this = *this - b; }
  PW_HOST_DEVICE PW_INLINE Fq2& operator*=(const Fq2& b) { return *this = *this * b; }
  PW_HOST_DEVICE Fq2 inverse() const {
#if defined(__CUDA_ARCH__)
    Fq n = (c0.sqr() + c1.sqr()).inverse();
#else
    Fq n = Fq::dot2(c0, c0, c1, c1).inverse();
#endif
    return Fq2{c0 * n, -(c1 * n)};
  }
};

}  // namespace pw
