#include "bn254/pairing/self_test.h"

#include "bn254/ff/backend_check.h"
#include "bn254/ff/wide.h"
#include "bn254/pairing/pairing.h"

namespace pw {
namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform below m (both moduli are below 2^254): rejection on the top two bits cleared.
  void below(const uint64_t m[4], uint64_t out[4]) {
    do {
      for (int i = 0; i < 4; ++i) out[i] = next();
      out[3] &= (1ULL << 62) - 1;
    } while (!wide::less(out, m));
  }
  Fq fq() {
    uint64_t v[4];
    below(wide::kP, v);
    return Fq::from_normal(v);
  }
  Fq2 fq2() { return Fq2{fq(), fq()}; }
  F2 f2() { return F2{fq(), fq()}; }
  Fq6 fq6() { return Fq6{f2(), f2(), f2()}; }
  Fq12 fq12() { return Fq12{fq6(), fq6()}; }

 private:
  uint64_t s_;
};

template <class F>
Affine<F> mul(const Affine<F>& p, const uint64_t k[4]) {
  return scalar_mul(Xyzz<F>::from_affine(p), k).to_affine();
}

// Square root in Fq2 for p = 3 mod 4 (Adj, Rodriguez-Henriquez 2012, algorithm 9).
bool fq2_sqrt(const Fq2& a, Fq2& out) {
  uint64_t e1[4], e2[4];
  const uint64_t three[4] = {3, 0, 0, 0}, one[4] = {1, 0, 0, 0};
  uint64_t t[4];
  wide::sub(wide::kP, three, t);
  wide::div_small(t, 4, e1);  // (p - 3)/4
  wide::sub(wide::kP, one, t);
  wide::div_small(t, 2, e2);  // (p - 1)/2
  const Fq2 a1 = wide::fq2_pow(a, e1);
  const Fq2 alpha = a1 * (a1 * a);
  const Fq2 x0 = a1 * a;
  Fq2 x;
  if (alpha == -Fq2::one()) {
    x = Fq2{-x0.c1, x0.c0};  // u * x0
  } else {
    x = wide::fq2_pow(alpha + Fq2::one(), e2) * x0;
  }
  out = x;
  return x.sqr() == a;
}

// A point on the twist drawn uniformly-ish from E'(Fq2): almost never in G2, whose
// index (the cofactor 2p - r) is about 2^254.
G2Aff random_twist_point(Rng& rng) {
  for (;;) {
    const Fq2 x = rng.fq2();
    Fq2 y;
    if (fq2_sqrt(x.sqr() * x + G2::b(), y)) return G2Aff{x, y};
  }
}

Fq12 fe_of(const std::vector<PairingTerm>& terms) {
  return final_exponentiation(miller_loop(terms.data(), terms.size()));
}

}  // namespace

std::vector<SelfTestCheck> pairing_self_test(uint64_t seed) {
  Rng rng(seed);
  std::vector<SelfTestCheck> out;
  auto check = [&out](const char* name, bool ok) { out.push_back(SelfTestCheck{name, ok}); };

  {
    // The field backends (ff/backend.h) against each other.
    for (const BackendCheck& c : field_backend_check(rng.next())) check(c.name.c_str(), c.ok);
    const F2 x = rng.f2();
    check("inverses",
          x.c0 * x.c0.inverse() == Fq::one() && Fq::zero().inverse().is_zero() && (x * x.inverse()) == F2::one());
  }
  {
    const Fq6 a = rng.fq6(), b = rng.fq6(), c = rng.fq6();
    check("fq6: square equals product", a.sqr() == a * a);
    check("fq6: a (b + c) = ab + ac", a * (b + c) == a * b + a * c);
    check("fq6: inverse", (a * a.inverse()) == Fq6::one());
    check("fq6: sparse product", a.mul_by_01(b.c0, b.c1) == a * Fq6{b.c0, b.c1, F2::zero()});
  }
  const Fq12 f = rng.fq12(), g = rng.fq12();
  {
    check("fq12: square equals product", f.sqr() == f * f);
    check("fq12: inverse", (f * f.inverse()).is_one());
    const F2 a = rng.f2(), b = rng.f2(), c = rng.f2();
    Fq12 sparse = f;
    sparse.mul_by_line(a, b, c);
    const Fq12 line{Fq6{a, F2::zero(), F2::zero()}, Fq6{b, c, F2::zero()}};
    check("fq12: line product", sparse == f * line);
    const F2 a2 = rng.f2(), b2 = rng.f2(), c2 = rng.f2();
    Fq12 pair = f;
    pair.mul_by_line_pair(a, b, c, a2, b2, c2);
    sparse.mul_by_line(a2, b2, c2);
    check("fq12: two lines at once", pair == sparse);
  }
  {
    const Fq12 fp = fq12_pow(f, wide::kP);
    check("frobenius: f^p", f.frobenius(1) == fp);
    check("frobenius: f^(p^2)", f.frobenius(2) == fp.frobenius(1));
    check("frobenius: f^(p^3)", f.frobenius(3) == fp.frobenius(1).frobenius(1));
    check("frobenius: ring map", (f * g).frobenius(1) == f.frobenius(1) * g.frobenius(1));
  }
  {
    Fq12 u = f.conj() * f.inverse();
    u = u.frobenius(2) * u;
    check("cyclotomic squaring", u.cyclotomic_sqr() == u.sqr());
    check("cyclotomic squaring twice", u.cyclotomic_sqr().cyclotomic_sqr() == u.sqr().sqr());
  }

  const G1Aff P = g1_generator();
  const G2Aff Q = g2_generator();
  check("generators on their curves", g1_on_curve_affine(P) && g2_on_curve_affine(Q));
  check("G2 generator in G2 (x test)", g2_in_subgroup(Q));
  check("G2 generator in G2 (psi test)", g2_in_subgroup_by_psi(Q));
  check("G2 generator in G2 ([r]Q)", g2_in_subgroup_by_order(Q));

  const Fq12 e = pairing(P, Q);
  check("non-degenerate: e(P, Q) != 1", !e.is_one());
  check("e(P, Q) has order r", cyclotomic_pow(e, wide::kR).is_one());
  check("cyclotomic power agrees with the generic one", [&] {
    uint64_t k[4];
    rng.below(wide::kR, k);
    return cyclotomic_pow(e, k) == fq12_pow(e, k);
  }());

  {
    uint64_t k[4];
    rng.below(wide::kR, k);
    const G1Aff R = mul(P, k);
    const G1Endomorphism& endo = g1_endomorphism();
    uint64_t lambda[4];
    endo.lambda.to_normal(lambda);
    const G1Aff lr = mul(R, lambda);
    check("G1 endomorphism: (beta x, y) = [lambda] P", endo.beta != Fq::one() &&
                                                           endo.beta.sqr() * endo.beta == Fq::one() &&
                                                           lr.x == endo.beta * R.x && lr.y == R.y);
  }

  for (int round = 0; round < 2; ++round) {
    uint64_t a[4], b[4], ab[4];
    rng.below(wide::kR, a);
    rng.below(wide::kR, b);
    (Fr::from_normal(a) * Fr::from_normal(b)).to_normal(ab);
    const G1Aff aP = mul(P, a);
    const G2Aff bQ = mul(Q, b);
    check("bilinearity: e(aP, bQ) = e(P, Q)^(ab)", pairing(aP, bQ) == cyclotomic_pow(e, ab));
    check("bilinearity: e(aP, Q) = e(P, aQ)", pairing(aP, Q) == pairing(P, mul(Q, a)));
    check("[k]Q stays in G2", g2_in_subgroup(bQ) && g2_in_subgroup_by_order(bQ));

    const G2Prepared pq(Q), pbq(bQ);
    const G1Aff negP = P.neg();
    check("multi-pairing: e(bP, Q) e(-P, bQ) = 1",
          fe_of({{mul(P, b), &pq}, {negP, &pbq}}).is_one());
    check("multi-pairing equals the product of pairings",
          fe_of({{aP, &pq}, {P, &pbq}, {aP, &pbq}}) == pairing(aP, Q) * pairing(P, bQ) * pairing(aP, bQ));
    const G2Prepared inf;
    check("infinity terms contribute 1", fe_of({{aP, &pq}, {G1Aff::infinity(), &pq}, {aP, &inf}}) ==
                                             pairing(aP, Q));
  }

  {
    bool agree = true, rejected = true;
    for (int i = 0; i < 4; ++i) {
      const G2Aff R = random_twist_point(rng);
      const bool fast = g2_in_subgroup(R);
      agree = agree && g2_on_curve_affine(R) && fast == g2_in_subgroup_by_order(R) &&
              fast == g2_in_subgroup_by_psi(R);
      rejected = rejected && !fast;
      // [r]R lies in the cofactor part of E'(Fq2): not in G2 unless it vanishes.
      const G2Aff T = mul(R, wide::kR);
      if (!T.is_inf()) {
        agree = agree && g2_in_subgroup(T) == g2_in_subgroup_by_order(T) &&
                g2_in_subgroup(T) == g2_in_subgroup_by_psi(T);
        rejected = rejected && !g2_in_subgroup(T);
        uint64_t k[4];
        rng.below(wide::kR, k);
        const G2::Acc sum = [&] {
          G2::Acc s = G2::Acc::from_affine(mul(Q, k));
          s.add_affine(T);
          return s;
        }();
        const G2Aff mixed = sum.to_affine();
        agree = agree && g2_in_subgroup(mixed) == g2_in_subgroup_by_order(mixed);
        rejected = rejected && !g2_in_subgroup(mixed);
      }
    }
    check("G2 subgroup test agrees with [r]Q == 0", agree);
    check("G2 subgroup test rejects points outside G2", rejected);
  }
  return out;
}

}  // namespace pw
