// The BN254 extension tower above Fq2 = Fq[u]/(u^2 + 1):
//   Fq6  = Fq2[v]/(v^3 - xi),  xi = 9 + u
//   Fq12 = Fq6[w]/(w^2 - v)
// so w^6 = xi, and an Fq12 element is sum_i g_i w^i with g_i in Fq2, stored as
//   c0 = (g0, g2, g4), c1 = (g1, g3, g5).
// Host-only: the verifier runs on the CPU (a pairing is far too small to ship to a GPU).
#pragma once
#include "bn254/ff/bn254.h"

namespace pw {

// Fq and Fq2 under the names the pairing code uses: F1 the field of the verifier's G1
// work (batch coefficients times pi_a, vk_x, the sum of rho C), F2 the tower's base and
// the field of the G2 work on the verifier's hot path (line preparation, the subgroup
// test). Both run on field.h's backends: the MULX/ADX assembly where the CPU has it.
using F1 = Fq;
using F2 = Fq2;

// (a0 + a1 u)(9 + u) = (9 a0 - a1) + (a0 + 9 a1) u
PW_FORCE_INLINE F2 mul_by_xi(const F2& a) {
  const Fq nine_a0 = a.c0.dbl().dbl().dbl() + a.c0;
  const Fq nine_a1 = a.c1.dbl().dbl().dbl() + a.c1;
  return F2{nine_a0 - a.c1, a.c0 + nine_a1};
}

// The p-power Frobenius on Fq2 (u^p = -u since p = 3 mod 4).
PW_FORCE_INLINE F2 conj(const F2& a) { return F2{a.c0, -a.c1}; }

PW_FORCE_INLINE F2 mul_by_fq(const F2& a, const Fq& b) { return F2{a.c0 * b, a.c1 * b}; }

struct Fq6 {
  F2 c0, c1, c2;

  static Fq6 zero() { return Fq6{F2::zero(), F2::zero(), F2::zero()}; }
  static Fq6 one() { return Fq6{F2::one(), F2::zero(), F2::zero()}; }
  bool is_zero() const { return c0.is_zero() && c1.is_zero() && c2.is_zero(); }
  bool operator==(const Fq6& o) const { return c0 == o.c0 && c1 == o.c1 && c2 == o.c2; }
  bool operator!=(const Fq6& o) const { return !(*this == o); }

  Fq6 operator+(const Fq6& b) const { return Fq6{c0 + b.c0, c1 + b.c1, c2 + b.c2}; }
  Fq6 operator-(const Fq6& b) const { return Fq6{c0 - b.c0, c1 - b.c1, c2 - b.c2}; }
  Fq6 operator-() const { return Fq6{-c0, -c1, -c2}; }
  Fq6 dbl() const { return *this + *this; }

  // Karatsuba over three coefficients: six F2 products.
  Fq6 operator*(const Fq6& b) const {
    const F2 t0 = c0 * b.c0, t1 = c1 * b.c1, t2 = c2 * b.c2;
    return Fq6{t0 + mul_by_xi((c1 + c2) * (b.c1 + b.c2) - t1 - t2),
               (c0 + c1) * (b.c0 + b.c1) - t0 - t1 + mul_by_xi(t2),
               (c0 + c2) * (b.c0 + b.c2) - t0 - t2 + t1};
  }

  // Chung-Hasan SQR2: two squarings and three products in F2.
  Fq6 sqr() const {
    const F2 s0 = c0.sqr();
    const F2 s1 = (c0 * c1).dbl();
    const F2 s2 = (c0 - c1 + c2).sqr();
    const F2 s3 = (c1 * c2).dbl();
    const F2 s4 = c2.sqr();
    return Fq6{s0 + mul_by_xi(s3), s1 + mul_by_xi(s4), s1 + s2 + s3 - s0 - s4};
  }

  // this * v = (xi c2, c0, c1)
  Fq6 mul_by_v() const { return Fq6{mul_by_xi(c2), c0, c1}; }

  Fq6 mul_by_fq2(const F2& b) const { return Fq6{c0 * b, c1 * b, c2 * b}; }

  // this * (b0 + b1 v): the shape a line function takes in the Miller loop.
  Fq6 mul_by_01(const F2& b0, const F2& b1) const {
    const F2 t0 = c0 * b0, t1 = c1 * b1;
    return Fq6{t0 + mul_by_xi((c1 + c2) * b1 - t1), (c0 + c1) * (b0 + b1) - t0 - t1,
               (c0 + c2) * b0 - t0 + t1};
  }

  Fq6 inverse() const {
    const F2 A = c0.sqr() - mul_by_xi(c1 * c2);
    const F2 B = mul_by_xi(c2.sqr()) - c0 * c1;
    const F2 C = c1.sqr() - c0 * c2;
    const F2 F = c0 * A + mul_by_xi(c2 * B + c1 * C);
    const F2 f = F.inverse();
    return Fq6{A * f, B * f, C * f};
  }
};

// Frobenius coefficients gamma[k][i] = xi^(i (p^k - 1) / 6) for k = 1, 2, 3 (index k - 1)
// and i = 0..5: (g w^i)^(p^k) = conj^k(g) * gamma[k][i] * w^i. Computed once from xi
// rather than copied, so there is no table to mistype; tests check them against p-th powers.
struct FrobeniusCoeffs {
  F2 gamma[3][6];
};
const FrobeniusCoeffs& frobenius_coeffs();

struct Fq12 {
  Fq6 c0, c1;

  static Fq12 one() { return Fq12{Fq6::one(), Fq6::zero()}; }
  bool is_one() const { return c0 == Fq6::one() && c1.is_zero(); }
  bool operator==(const Fq12& o) const { return c0 == o.c0 && c1 == o.c1; }
  bool operator!=(const Fq12& o) const { return !(*this == o); }

  // Karatsuba: three Fq6 products.
  Fq12 operator*(const Fq12& b) const {
    const Fq6 t0 = c0 * b.c0, t1 = c1 * b.c1;
    return Fq12{t0 + t1.mul_by_v(), (c0 + c1) * (b.c0 + b.c1) - t0 - t1};
  }
  Fq12& operator*=(const Fq12& b) { return *this = *this * b; }

  // Complex squaring: two Fq6 products.
  Fq12 sqr() const {
    const Fq6 ab = c0 * c1;
    const Fq6 t = (c0 + c1) * (c0 + c1.mul_by_v());
    return Fq12{t - ab - ab.mul_by_v(), ab.dbl()};
  }

  // The p^6-power Frobenius (w -> -w); the inverse on the cyclotomic subgroup.
  Fq12 conj() const { return Fq12{c0, -c1}; }

  Fq12 inverse() const {
    const Fq6 t = (c0.sqr() - c1.sqr().mul_by_v()).inverse();
    return Fq12{c0 * t, -(c1 * t)};
  }

  // this * (a + b w + c w^3), a line function evaluated at a G1 point (D-type twist):
  // in this basis the line is (a, 0, 0) + (b, c, 0) w. Thirteen F2 products.
  void mul_by_line(const F2& a, const F2& b, const F2& c) {
    const Fq6 t0 = c0.mul_by_fq2(a);
    const Fq6 t1 = c1.mul_by_01(b, c);
    c1 = (c0 + c1).mul_by_01(a + b, c) - t0 - t1;
    c0 = t0 + t1.mul_by_v();
  }

  // this * l1 * l2 for two lines in the shape of mul_by_line, (a_k, 0, 0) + (b_k, d_k, 0) w:
  // their product has no w^5 term (w^6 = xi folds d1 d2 into the constant) and costs six
  // F2 products, and multiplying it in costs 17 more: 23 against 26 one line at a time.
  void mul_by_line_pair(const F2& a1, const F2& b1, const F2& d1, const F2& a2, const F2& b2, const F2& d2) {
    const F2 aa = a1 * a2, bb = b1 * b2, cc = d1 * d2;
    const F2 ab = (a1 + b1) * (a2 + b2) - aa - bb;  // w^1
    const F2 ac = (a1 + d1) * (a2 + d2) - aa - cc;  // w^3
    const F2 bc = (b1 + d1) * (b2 + d2) - bb - cc;  // w^4
    // sum_i g_i w^i with g = (aa + xi cc, ab, bb, ac, bc, 0), w^6 = xi.
    const Fq6 m0{aa + mul_by_xi(cc), bb, bc};  // g0, g2, g4
    const F2& m10 = ab;                          // g1
    const F2& m11 = ac;                          // g3 (g5 = 0)
    const Fq6 t0 = c0 * m0;
    const Fq6 t1 = c1.mul_by_01(m10, m11);
    c1 = (c0 + c1) * Fq6{m0.c0 + m10, m0.c1 + m11, m0.c2} - t0 - t1;
    c0 = t0 + t1.mul_by_v();
  }

  // Squaring in the cyclotomic subgroup (elements with f^(p^6 + 1) = 1), Granger-Scott
  // 2010: view Fq12 as Fq4[t]/(t^3 - s), Fq4 = F2[s]/(s^2 - xi), t = w, s = w^3; then
  // for f = A0 + A1 t + A2 t^2, f^2 = (3A0^2 - 2 A0') + (3 s A2^2 + 2 A1') t + (3 A1^2 - 2 A2') t^2
  // where ' is the Fq4 conjugate (s -> -s). Only valid on that subgroup.
  Fq12 cyclotomic_sqr() const {
    // Fq4 pairs (g0, g3), (g1, g4), (g2, g5).
    const F2 g0 = c0.c0, g1 = c1.c0, g2 = c0.c1, g3 = c1.c1, g4 = c0.c2, g5 = c1.c2;
    F2 a0, a1, b0, b1, e0, e1;
    fq4_sqr(g0, g3, a0, a1);
    fq4_sqr(g1, g4, b0, b1);
    fq4_sqr(g2, g5, e0, e1);
    const F2 xe1 = mul_by_xi(e1);
    Fq12 r;
    r.c0.c0 = three_minus_two(a0, g0);  // A0: s^0 part
    r.c1.c1 = three_plus_two(a1, g3);   //     s^1 part
    r.c1.c0 = three_plus_two(xe1, g1);  // A1 = 3 s A2^2 + 2 A1': s^0 part
    r.c0.c2 = three_minus_two(e0, g4);  //     s^1 part
    r.c0.c1 = three_minus_two(b0, g2);  // A2 = 3 A1^2 - 2 A2': s^0 part
    r.c1.c2 = three_plus_two(b1, g5);   //     s^1 part
    return r;
  }

  // this^(p^k) for k = 1, 2, 3.
  Fq12 frobenius(int k) const {
    const F2* g = frobenius_coeffs().gamma[k - 1];
    auto f = [k](const F2& x) { return (k & 1) ? pw::conj(x) : x; };
    Fq12 r;
    r.c0.c0 = f(c0.c0);
    r.c1.c0 = f(c1.c0) * g[1];
    r.c0.c1 = f(c0.c1) * g[2];
    r.c1.c1 = f(c1.c1) * g[3];
    r.c0.c2 = f(c0.c2) * g[4];
    r.c1.c2 = f(c1.c2) * g[5];
    return r;
  }

 private:
  // (x + y s)^2 = (x^2 + xi y^2) + 2xy s
  static void fq4_sqr(const F2& x, const F2& y, F2& r0, F2& r1) {
    const F2 t0 = x.sqr(), t1 = y.sqr();
    r0 = t0 + mul_by_xi(t1);
    r1 = (x + y).sqr() - t0 - t1;
  }
  static F2 three_minus_two(const F2& t, const F2& g) { return (t - g).dbl() + t; }
  static F2 three_plus_two(const F2& t, const F2& g) { return (t + g).dbl() + t; }
};

}  // namespace pw

