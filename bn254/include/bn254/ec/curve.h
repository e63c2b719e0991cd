// Short Weierstrass points y^2 = x^3 + b (a = 0) over a field F: affine bases and
// XYZZ accumulators (x = X/ZZ, y = Y/ZZZ, ZZ^3 = ZZZ^2; "dbl-2008-s-1", "madd-2008-s",
// "add-2008-s" from the Explicit-Formulas Database). One body for G1 (Fq) and G2 (Fq2).
#pragma once
#include "bn254/ff/bn254.h"

namespace pw {

template <class F>
struct Affine {
  F x, y;
  // The zkey format writes the point at infinity as all zeros; (0,0) is not on either
  // BN254 curve (b != 0), so the encoding is unambiguous.
  PW_HOST_DEVICE static constexpr Affine infinity() { return Affine{F::zero(), F::zero()}; }
  PW_HOST_DEVICE bool is_inf() const { return x.is_zero() && y.is_zero(); }
  PW_HOST_DEVICE Affine neg() const { return is_inf() ? *this : Affine{x, -y}; }
};

template <class F>
struct Xyzz {
  F X, Y, ZZ, ZZZ;

  PW_HOST_DEVICE static constexpr Xyzz infinity() { return Xyzz{F::one(), F::one(), F::zero(), F::zero()}; }
  PW_HOST_DEVICE bool is_inf() const { return ZZ.is_zero(); }
  PW_HOST_DEVICE static Xyzz from_affine(const Affine<F>& a) {
    if (a.is_inf()) return infinity();
    return Xyzz{a.x, a.y, F::one(), F::one()};
  }
  PW_HOST_DEVICE Xyzz neg() const { return Xyzz{X, -Y, ZZ, ZZZ}; }

  PW_HOST_DEVICE PW_INLINE void dbl() {
    if (is_inf()) return;
    F U = Y.dbl();
    F V = U.sqr();
    F W = U * V;
    F S = X * V;
    F Xs = X.sqr();
    F M = Xs.dbl() + Xs;
    F X3 = M.sqr() - S.dbl();
    F Y3 = M * (S - X3) - W * Y;
    X = X3;
    Y = Y3;
    ZZ = ZZ * V;
    ZZZ = ZZZ * W;
  }

  PW_HOST_DEVICE PW_INLINE void set_dbl_affine(const Affine<F>& a) {
    F U = a.y.dbl();
    F V = U.sqr();
    F W = U * V;
    F S = a.x * V;
    F Xs = a.x.sqr();
    F M = Xs.dbl() + Xs;
    X = M.sqr() - S.dbl();
    Y = M * (S - X) - W * a.y;
    ZZ = V;
    ZZZ = W;
  }

  // this += a (a affine). Handles infinity on either side and the doubling case.
  PW_HOST_DEVICE PW_INLINE void add_affine(const Affine<F>& a) {
    if (a.is_inf()) return;
    if (is_inf()) {
      *this = from_affine(a);
      return;
    }
    F U2 = a.x * ZZ;
    F S2 = a.y * ZZZ;
    F P = U2 - X;
    F R = S2 - Y;
    if (P.is_zero()) {
      if (R.is_zero()) {
        set_dbl_affine(a);
      } else {
        *this = infinity();
      }
      return;
    }
    F PP = P.sqr();
    F PPP = P * PP;
    F Q = X * PP;
    F X3 = R.sqr() - PPP - Q.dbl();
    Y = R * (Q - X3) - Y * PPP;
    X = X3;
    ZZ = ZZ * PP;
    ZZZ = ZZZ * PPP;
  }

  PW_HOST_DEVICE PW_INLINE void add(const Xyzz& b) {
    if (b.is_inf()) return;
    if (is_inf()) {
      *this = b;
      return;
    }
    F U1 = X * b.ZZ;
    F U2 = b.X * ZZ;
    F S1 = Y * b.ZZZ;
    F S2 = b.Y * ZZZ;
    F P = U2 - U1;
    F R = S2 - S1;
    if (P.is_zero()) {
      if (R.is_zero()) {
        dbl();
      } else {
        *this = infinity();
      }
      return;
    }
    F PP = P.sqr();
    F PPP = P * PP;
    F Q = U1 * PP;
    F X3 = R.sqr() - PPP - Q.dbl();
    Y = R * (Q - X3) - S1 * PPP;
    X = X3;
    ZZ = ZZ * b.ZZ * PP;
    ZZZ = ZZZ * b.ZZZ * PPP;
  }

  PW_HOST_DEVICE Affine<F> to_affine() const {
    if (is_inf()) return Affine<F>::infinity();
    F inv = (ZZ * ZZZ).inverse();  // 1/ZZ = inv*ZZZ, 1/ZZZ = inv*ZZ
    return Affine<F>{X * (inv * ZZZ), Y * (inv * ZZ)};
  }
};

// k*P by double-and-add over the normal-form limbs of k (MSB first).
template <class F>
PW_HOST_DEVICE Xyzz<F> scalar_mul(const Xyzz<F>& p, const uint64_t k[4]) {
  Xyzz<F> r = Xyzz<F>::infinity();
  for (int i = 3; i >= 0; --i) {
    for (int b = 63; b >= 0; --b) {
      r.dbl();
      if ((k[i] >> b) & 1) r.add(p);
    }
  }
  return r;
}

struct G1 {
  using F = Fq;
  using Aff = Affine<Fq>;
  using Acc = Xyzz<Fq>;
  PW_HOST_DEVICE static constexpr Fq b() {  // 3
    return Fq::from_mont_limbs(0x7a17caa950ad28d7ULL, 0x1f6ac17ae15521b9ULL, 0x334bea4e696bd284ULL,
                               0x2a1f6744ce179d8eULL);
  }
  // Generator (1, 2).
  PW_HOST_DEVICE static Aff generator() { return Aff{Fq::from_u64(1), Fq::from_u64(2)}; }
};

struct G2 {
  using F = Fq2;
  using Aff = Affine<Fq2>;
  using Acc = Xyzz<Fq2>;
  PW_HOST_DEVICE static constexpr Fq2 b() {  // 3 / (9 + u), the D-type twist
    return Fq2{Fq::from_mont_limbs(0x3bf938e377b802a8ULL, 0x020b1b273633535dULL, 0x26b7edf049755260ULL,
                                   0x2514c6324384a86dULL),
               Fq::from_mont_limbs(0x38e7ecccd1dcff67ULL, 0x65f0b37d93ce0d3eULL, 0xd749d0dd22ac00aaULL,
                                   0x0141b9ce4a688d4dULL)};
  }
  // The generator snarkjs and EIP-197 use (normal-form limbs, least significant first).
  PW_HOST_DEVICE static Aff generator() {
    const uint64_t x0[4] = {0x46debd5cd992f6edULL, 0x674322d4f75edaddULL, 0x426a00665e5c4479ULL, 0x1800deef121f1e76ULL};
    const uint64_t x1[4] = {0x97e485b7aef312c2ULL, 0xf1aa493335a9e712ULL, 0x7260bfb731fb5d25ULL, 0x198e9393920d483aULL};
    const uint64_t y0[4] = {0x4ce6cc0166fa7daaULL, 0xe3d1e7690c43d37bULL, 0x4aab71808dcb408fULL, 0x12c85ea5db8c6debULL};
    const uint64_t y1[4] = {0x55acdadcd122975bULL, 0xbc4b313370b38ef3ULL, 0xec9e99ad690c3395ULL, 0x090689d0585ff075ULL};
    return Aff{Fq2{Fq::from_normal(x0), Fq::from_normal(x1)}, Fq2{Fq::from_normal(y0), Fq::from_normal(y1)}};
  }
};

using G1Aff = G1::Aff;
using G2Aff = G2::Aff;

template <class C>
PW_HOST_DEVICE bool on_curve(const typename C::Aff& a) {
  if (a.is_inf()) return true;
  return a.y.sqr() == a.x.sqr() * a.x + C::b();
}

}  // namespace pw
