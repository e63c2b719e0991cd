#include "bn254/pairing/pairing.h"

#include "bn254/ff/wide.h"

namespace pw {
namespace {

// Signed binary (non-adjacent form) digits, least significant first.
struct Naf {
  int8_t d[80];
  int len;
};

constexpr Naf naf(unsigned __int128 n) {
  Naf r{};
  int i = 0;
  while (n > 0) {
    int8_t k = 0;
    if (n & 1) {
      k = (n & 3) == 1 ? 1 : -1;
      n = k == 1 ? n - 1 : n + 1;
    }
    r.d[i++] = k;
    n >>= 1;
  }
  r.len = i;
  return r;
}

// Width-4 NAF: odd digits in [-7, 7], at most one non-zero digit in any four.
constexpr Naf wnaf4(uint64_t n) {
  Naf r{};
  int i = 0;
  while (n > 0) {
    int8_t k = 0;
    if (n & 1) {
      k = (int8_t)(n & 15);
      if (k >= 8) k = (int8_t)(k - 16);
      n = k > 0 ? n - (uint64_t)k : n + (uint64_t)(-k);
    }
    r.d[i++] = k;
    n >>= 1;
  }
  r.len = i;
  return r;
}

// The optimal ate loop parameter 6x + 2 (65 bits) and x itself, as NAF: 22 and 24 non-zero
// digits against 37 and 28 ones in binary. The final exponentiation raises to x in width-4
// NAF instead: 14 non-zero digits, for 3 products and a squaring of precomputation.
constexpr Naf kAteNaf = naf(6 * (unsigned __int128)kBnX + 2);
constexpr Naf kXNaf = naf(kBnX);
constexpr Naf kXWnaf = wnaf4(kBnX);

constexpr unsigned __int128 naf_value(const Naf& n) {
  __int128 v = 0;
  for (int i = n.len - 1; i >= 0; --i) v = 2 * v + n.d[i];
  return (unsigned __int128)v;
}
static_assert(naf_value(kAteNaf) == 6 * (unsigned __int128)kBnX + 2 && naf_value(kXNaf) == kBnX &&
                  naf_value(kXWnaf) == kBnX,
              "signed digit expansions");

FrobeniusCoeffs compute_frobenius() {
  uint64_t e[4];
  wide::div_small(wide::kP, 6, e);  // (p - 1) / 6: p = 1 mod 6, so the low bit dropped is p's 1
  const Fq2 xi{Fq::from_u64(9), Fq::one()};
  const F2 g = wide::fq2_pow(xi, e);
  FrobeniusCoeffs c;
  F2 gi = F2::one();
  for (int i = 0; i < 6; ++i) {
    c.gamma[0][i] = gi;                        // xi^(i (p - 1) / 6)
    c.gamma[1][i] = gi * conj(gi);             // times its p-th power: exponent i (p^2 - 1) / 6
    c.gamma[2][i] = c.gamma[1][i] * gi;        // and its p^2-th (= itself): i (p^3 - 1) / 6
    gi = gi * g;
  }
  return c;
}

// Homogeneous projective T = (X : Y : Z) on the twist, x = X/Z, y = Y/Z.
struct G2Proj {
  F2 X, Y, Z;
};

using G2F = G2Aff;

G2F psi(const G2F& q) {
  const FrobeniusCoeffs& c = frobenius_coeffs();
  return G2F{conj(q.x) * c.gamma[0][2], conj(q.y) * c.gamma[0][3]};
}

// Jacobian (X : Y : Z) on the twist, x = X/Z^2, y = Y/Z^3, Z = 0 at infinity: the subgroup
// test is mostly doublings, which cost 2 products and 5 squarings here against 6 and 3 in
// XYZZ ("dbl-2009-l", "madd-2007-bl", "add-2007-bl" from the Explicit-Formulas Database).
struct G2Jac {
  F2 X, Y, Z;

  static G2Jac infinity() { return G2Jac{F2::one(), F2::one(), F2::zero()}; }
  static G2Jac from_affine(const G2F& a) { return G2Jac{a.x, a.y, F2::one()}; }
  bool is_inf() const { return Z.is_zero(); }

  void dbl() {
    const F2 A = X.sqr(), B = Y.sqr(), C = B.sqr();
    const F2 D = ((X + B).sqr() - A - C).dbl();
    const F2 E = A.dbl() + A;
    const F2 X3 = E.sqr() - D.dbl();
    Z = (Y * Z).dbl();  // Y = 0 (2-torsion, absent from the twist's odd order) gives infinity
    Y = E * (D - X3) - C.dbl().dbl().dbl();
    X = X3;
  }

  void add_affine(const G2F& a) {
    if (is_inf()) {
      *this = from_affine(a);
      return;
    }
    const F2 ZZ = Z.sqr();
    const F2 H = a.x * ZZ - X;
    const F2 r = (a.y * Z * ZZ - Y).dbl();
    if (H.is_zero()) {
      if (r.is_zero()) {
        *this = from_affine(a);
        dbl();
      } else {
        *this = infinity();
      }
      return;
    }
    const F2 HH = H.sqr();
    const F2 I = HH.dbl().dbl();
    const F2 J = H * I;
    const F2 V = X * I;
    const F2 X3 = r.sqr() - J - V.dbl();
    Y = r * (V - X3) - (Y * J).dbl();
    Z = (Z + H).sqr() - ZZ - HH;
    X = X3;
  }

  void add(const G2Jac& b) {
    if (b.is_inf()) return;
    if (is_inf()) {
      *this = b;
      return;
    }
    const F2 Z1Z1 = Z.sqr(), Z2Z2 = b.Z.sqr();
    const F2 U1 = X * Z2Z2, U2 = b.X * Z1Z1;
    const F2 S1 = Y * b.Z * Z2Z2, S2 = b.Y * Z * Z1Z1;
    const F2 H = U2 - U1;
    const F2 r = (S2 - S1).dbl();
    if (H.is_zero()) {
      if (r.is_zero()) {
        dbl();
      } else {
        *this = infinity();
      }
      return;
    }
    const F2 I = H.dbl().sqr();
    const F2 J = H * I;
    const F2 V = U1 * I;
    const F2 X3 = r.sqr() - J - V.dbl();
    Y = r * (V - X3) - (S1 * J).dbl();
    Z = ((Z + b.Z).sqr() - Z1Z1 - Z2Z2) * H;
    X = X3;
  }

  bool operator==(const G2Jac& b) const {
    if (is_inf() || b.is_inf()) return is_inf() && b.is_inf();
    const F2 Z1Z1 = Z.sqr(), Z2Z2 = b.Z.sqr();
    return X * Z2Z2 == b.X * Z1Z1 && Y * b.Z * Z2Z2 == b.Y * Z * Z1Z1;
  }
};

// x = X/Z^2 maps to conj(X) gx / conj(Z)^2, and likewise for y.
G2Jac psi(const G2Jac& q) {
  const FrobeniusCoeffs& c = frobenius_coeffs();
  return G2Jac{conj(q.X) * c.gamma[0][2], conj(q.Y) * c.gamma[0][3], conj(q.Z)};
}

// T = 2T and the tangent line at T (Costello-Lange-Naehrig 2010, in the form of Aranha
// et al. 2011 for b' = 3/xi). The affine tangent l = yP - lambda xP w + (lambda x - y) w^3,
// lambda = 3x^2/(2y), scaled by 2YZ^2/Z and simplified with Y^2 Z = X^3 + b'Z^3, is
// (2YZ) yP - (3X^2) xP w + (Y^2 - 3b'Z^2) w^3; stored negated.
//
// The formulas' halvings (XY/2, (Y^2 + 9b'Z^2)/2) are left out: that scales the new X, Y, Z
// by 2, 4, 1, so X and Z are doubled once and twice more to keep the point (4X : 4Y : 4Z).
LineCoeffs doubling_step(G2Proj& t, const F2& three_b) {
  const F2 a = t.X * t.Y;  // 2 a of the formulas
  const F2 b = t.Y.sqr();
  const F2 c = t.Z.sqr();
  const F2 e = three_b * c;
  const F2 f = e.dbl() + e;
  const F2 g = b + f;  // 2 g
  const F2 h = (t.Y + t.Z).sqr() - (b + c);  // 2YZ
  const F2 i = e - b;
  const F2 j = t.X.sqr();
  const F2 e4 = e.sqr().dbl().dbl();
  t.X = (a * (b - f)).dbl();
  t.Y = g.sqr() - (e4.dbl() + e4);  // 4 (g^2 - 3 e^2)
  t.Z = (b * h).dbl().dbl();
  return LineCoeffs{-h, j.dbl() + j, i};
}

// T = T + Q (Q affine) and the chord through them: with theta = Y - yQ Z, lam = X - xQ Z
// the slope is theta/lam, and lam * (yP - slope xP w + (slope xQ - yQ) w^3) is stored.
LineCoeffs addition_step(G2Proj& t, const G2F& q) {
  const F2 theta = t.Y - q.y * t.Z;
  const F2 lam = t.X - q.x * t.Z;
  const F2 c = theta.sqr();
  const F2 d = lam.sqr();
  const F2 e = lam * d;
  const F2 f = t.Z * c;
  const F2 g = t.X * d;
  const F2 h = e + f - g.dbl();
  t.X = lam * h;
  t.Y = theta * (g - h) - e * t.Y;
  t.Z = t.Z * e;
  return LineCoeffs{lam, -theta, theta * q.x - lam * q.y};
}

inline void apply_line(Fq12& f, const LineCoeffs& l, const G1Aff& p) {
  f.mul_by_line(mul_by_fq(l.a, p.y), mul_by_fq(l.b, p.x), l.c);
}

// The lines at index idx of all terms, two at a time (mul_by_line_pair), the odd one alone.
inline void apply_lines(Fq12& f, const std::vector<PairingTerm>& terms, size_t idx) {
  size_t k = 0;
  for (; k + 1 < terms.size(); k += 2) {
    const LineCoeffs& l1 = terms[k].q->lines()[idx];
    const LineCoeffs& l2 = terms[k + 1].q->lines()[idx];
    const G1Aff& p1 = terms[k].p;
    const G1Aff& p2 = terms[k + 1].p;
    f.mul_by_line_pair(mul_by_fq(l1.a, p1.y), mul_by_fq(l1.b, p1.x), l1.c, mul_by_fq(l2.a, p2.y),
                       mul_by_fq(l2.b, p2.x), l2.c);
  }
  if (k < terms.size()) apply_line(f, terms[k].q->lines()[idx], terms[k].p);
}

// f^x on the cyclotomic subgroup, where the inverse is the conjugate.
Fq12 exp_by_x(const Fq12& f) {
  Fq12 odd[4];  // f, f^3, f^5, f^7
  odd[0] = f;
  const Fq12 f2 = f.cyclotomic_sqr();
  for (int k = 1; k < 4; ++k) odd[k] = odd[k - 1] * f2;
  static_assert(kXWnaf.d[kXWnaf.len - 1] > 0, "the leading digit of a positive number");
  Fq12 r = odd[(kXWnaf.d[kXWnaf.len - 1] - 1) / 2];
  for (int i = kXWnaf.len - 2; i >= 0; --i) {
    r = r.cyclotomic_sqr();
    const int d = kXWnaf.d[i];
    if (d > 0) r *= odd[(d - 1) / 2];
    if (d < 0) r *= odd[(-d - 1) / 2].conj();
  }
  return r;
}

}  // namespace

const FrobeniusCoeffs& frobenius_coeffs() {
  static const FrobeniusCoeffs coeffs = compute_frobenius();
  return coeffs;
}

G2Prepared::G2Prepared(const G2Aff& affine) {
  if (affine.is_inf()) return;
  const F2 three_b = G2::b().dbl() + G2::b();
  const G2F q = affine;
  const G2F neg_q{q.x, -q.y};
  G2Proj t{q.x, q.y, F2::one()};
  lines_.reserve(96);
  for (int i = kAteNaf.len - 2; i >= 0; --i) {
    lines_.push_back(doubling_step(t, three_b));
    if (kAteNaf.d[i] == 1) lines_.push_back(addition_step(t, q));
    if (kAteNaf.d[i] == -1) lines_.push_back(addition_step(t, neg_q));
  }
  // The two extra lines of the optimal ate pairing: through [6x+2]Q and psi(Q), then
  // through that sum and -psi^2(Q).
  const G2F q1 = psi(q);
  G2F q2 = psi(q1);
  q2.y = -q2.y;
  lines_.push_back(addition_step(t, q1));
  lines_.push_back(addition_step(t, q2));
}

Fq12 miller_loop(const PairingTerm* terms, size_t n) {
  std::vector<PairingTerm> live;
  live.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    if (!terms[k].p.is_inf() && !terms[k].q->is_infinity()) live.push_back(terms[k]);
  }
  Fq12 f = Fq12::one();
  if (live.empty()) return f;
  // Every prepared point holds the same sequence of lines, so one index walks them all.
  size_t idx = 0;
  for (int i = kAteNaf.len - 2; i >= 0; --i) {
    if (i != kAteNaf.len - 2) f = f.sqr();
    apply_lines(f, live, idx++);
    if (kAteNaf.d[i] != 0) apply_lines(f, live, idx++);
  }
  for (int k = 0; k < 2; ++k) apply_lines(f, live, idx++);
  return f;
}

Fq12 final_exponentiation(const Fq12& f) {
  // Easy part, f^((p^6 - 1)(p^2 + 1)): afterwards f is in the cyclotomic subgroup.
  Fq12 t = f.conj() * f.inverse();
  t = t.frobenius(2) * t;
  // Hard part (Fuentes-Castaneda, Knapp, Rodriguez-Henriquez, "Faster hashing to G2"):
  // t^(2x(6x^2 + 3x + 1)(p^4 - p^2 + 1)/r) = t^(l0 + l1 p + l2 p^2 + l3 p^3) with
  //   l0 = 12x^3 + 12x^2 + 6x + 1, l1 = 12x^3 + 6x^2 + 4x,
  //   l2 = 12x^3 + 6x^2 + 6x,      l3 = 12x^3 + 6x^2 + 4x - 1.
  // 2x(6x^2 + 3x + 1) is prime to r, so this is a fixed power of the reduced pairing.
  const Fq12 fx = exp_by_x(t);
  const Fq12 f2x = fx.cyclotomic_sqr();
  const Fq12 f6x = f2x.cyclotomic_sqr() * f2x;
  const Fq12 f6x2 = exp_by_x(f6x);
  const Fq12 f12x3 = exp_by_x(f6x2.cyclotomic_sqr());
  const Fq12 a = f12x3 * f6x2 * f6x;  // l2
  const Fq12 b = a * f2x.conj();      // l1
  const Fq12 e0 = a * f6x2 * t;       // l0
  const Fq12 e3 = b * t.conj();       // l3
  return e0 * b.frobenius(1) * a.frobenius(2) * e3.frobenius(3);
}

Fq12 pairing(const G1Aff& p, const G2Aff& q) {
  const G2Prepared prepared(q);
  const PairingTerm term{p, &prepared};
  return final_exponentiation(miller_loop(&term, 1));
}

Fq12 cyclotomic_pow(const Fq12& f, const uint64_t e[4]) {
  Fq12 r = Fq12::one();
  bool started = false;
  for (int i = 3; i >= 0; --i) {
    for (int b = 63; b >= 0; --b) {
      if (started) r = r.cyclotomic_sqr();
      if ((e[i] >> b) & 1) {
        r = started ? r * f : f;
        started = true;
      }
    }
  }
  return r;
}

Fq12 fq12_pow(const Fq12& f, const uint64_t e[4]) {
  Fq12 r = Fq12::one();
  for (int i = 3; i >= 0; --i) {
    for (int b = 63; b >= 0; --b) {
      r = r.sqr();
      if ((e[i] >> b) & 1) r = r * f;
    }
  }
  return r;
}

G2Aff g2_psi(const G2Aff& q) {
  const G2F r = psi(q);
  return r;
}

bool g2_in_subgroup(const G2Aff& affine) {
  if (affine.is_inf()) return true;
  const G2F q = affine;
  // [x]Q by NAF with mixed additions.
  const G2F neg_q = q.neg();
  G2Jac xq = G2Jac::from_affine(q);
  for (int i = kXNaf.len - 2; i >= 0; --i) {
    xq.dbl();
    if (kXNaf.d[i] == 1) xq.add_affine(q);
    if (kXNaf.d[i] == -1) xq.add_affine(neg_q);
  }
  G2Jac lhs = xq;
  lhs.add_affine(q);
  const G2Jac psi_xq = psi(xq);
  lhs.add(psi_xq);
  lhs.add(psi(psi_xq));
  G2Jac rhs = xq;
  rhs.dbl();
  rhs = psi(psi(psi(rhs)));
  return lhs == rhs;
}

bool g2_in_subgroup_by_psi(const G2Aff& q) {
  if (q.is_inf()) return true;
  uint64_t six_x2[4];
  wide::sub(wide::kP, wide::kR, six_x2);  // p - r = 6x^2 for every BN curve
  const G2::Acc t = scalar_mul(G2::Acc::from_affine(q), six_x2);
  if (t.is_inf()) return false;
  const G2Aff s = g2_psi(q);
  return s.x * t.ZZ == t.X && s.y * t.ZZZ == t.Y;
}

bool g2_in_subgroup_by_order(const G2Aff& q) {
  return scalar_mul(G2::Acc::from_affine(q), wide::kR).is_inf();
}

bool g1_on_curve_affine(const G1Aff& p) { return p.y.sqr() == p.x.sqr() * p.x + G1::b(); }
bool g2_on_curve_affine(const G2Aff& q) { return q.y.sqr() == q.x.sqr() * q.x + G2::b(); }

G1Aff g1_generator() { return G1::generator(); }

const G1Endomorphism& g1_endomorphism() {
  static const G1Endomorphism endo = [] {
    G1Endomorphism e;
    const Fr x = Fr::from_u64(kBnX);
    e.lambda = ((Fr::from_u64(36) * x + Fr::from_u64(18)) * x + Fr::from_u64(6)) * x + Fr::one();
    uint64_t lambda[4], pm1[4], third[4];
    e.lambda.to_normal(lambda);
    const uint64_t one[4] = {1, 0, 0, 0};
    wide::sub(wide::kP, one, pm1);
    wide::div_small(pm1, 3, third);  // p = 1 mod 3
    const Fq root = Fq::from_u64(3).pow(third);  // 3 is not a cube mod p: root != 1
    const G1Aff g = g1_generator();
    const G1Aff lg = scalar_mul(G1::Acc::from_affine(g), lambda).to_affine();
    e.beta = lg.x == root * g.x ? root : root.sqr();
    return e;
  }();
  return endo;
}

G2Aff g2_generator() {
  // The generator snarkjs, EIP-197 and every BN254 library use (it is also snarkjs'
  // vk_gamma_2), written as normal-form limbs of its decimal coordinates.
  static const G2Aff g = [] {
    G2Aff r;
    const uint64_t x0[4] = {0x46debd5cd992f6edULL, 0x674322d4f75edaddULL, 0x426a00665e5c4479ULL,
                            0x1800deef121f1e76ULL};
    const uint64_t x1[4] = {0x97e485b7aef312c2ULL, 0xf1aa493335a9e712ULL, 0x7260bfb731fb5d25ULL,
                            0x198e9393920d483aULL};
    const uint64_t y0[4] = {0x4ce6cc0166fa7daaULL, 0xe3d1e7690c43d37bULL, 0x4aab71808dcb408fULL,
                            0x12c85ea5db8c6debULL};
    const uint64_t y1[4] = {0x55acdadcd122975bULL, 0xbc4b313370b38ef3ULL, 0xec9e99ad690c3395ULL,
                            0x090689d0585ff075ULL};
    r.x = Fq2{Fq::from_normal(x0), Fq::from_normal(x1)};
    r.y = Fq2{Fq::from_normal(y0), Fq::from_normal(y1)};
    return r;
  }();
  return g;
}

}  // namespace pw
