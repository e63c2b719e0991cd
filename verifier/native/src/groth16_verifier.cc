#include "groth16_verifier.h"

#include <sys/random.h>

#include <atomic>

#include "bn254/ff/decimal.h"
#include "bn254/msm/pippenger.h"
#include "bn254/ff/wide.h"

namespace pw::verifier {
namespace {

// Worker threads share the addon's code, hence atomics.
std::atomic<uint64_t> g_combined_checks{0}, g_combined_passes{0};

// Keys with at most this many IC points get fixed-base tables (512 KiB each): vk_x then
// costs 32 mixed additions per public signal instead of a 254-bit double-and-add.
constexpr size_t kMaxTabledIc = 16;

enum class Num { kOk, kNotDecimal, kLeadingZero, kTooLarge };

// A canonical unsigned decimal (no sign, no leading zero) below `modulus`.
Num parse_below(const std::string& s, const uint64_t modulus[4], uint64_t out[4]) {
  if (s.empty()) return Num::kNotDecimal;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return Num::kNotDecimal;
  }
  if (s.size() > 1 && s[0] == '0') return Num::kLeadingZero;
  // 10^78 > 2^256: anything longer cannot be below either modulus.
  if (s.size() > 78 || !parse_decimal(s, out) || !wide::less(out, modulus)) return Num::kTooLarge;
  return Num::kOk;
}

bool num_reason(Num n, const std::string& name, const char* modulus_name, std::string& reason) {
  switch (n) {
    case Num::kOk:
      return true;
    case Num::kNotDecimal:
      reason = name + " is not a decimal string";
      return false;
    case Num::kLeadingZero:
      reason = name + " is not a canonical decimal (leading zero)";
      return false;
    case Num::kTooLarge:
      reason = name + " is not below the " + modulus_name;
      return false;
  }
  return false;
}

bool parse_fq(const std::string& s, const std::string& name, uint64_t out[4], std::string& reason) {
  return num_reason(parse_below(s, wide::kP, out), name, "field modulus", reason);
}

bool is_small(const uint64_t v[4], uint64_t k) { return v[0] == k && (v[1] | v[2] | v[3]) == 0; }

// snarkjs writes affine points with z = 1 and the point at infinity as [0, 1, 0].
bool decode_g1(const G1Text& t, const std::string& name, G1Aff& out, std::string& reason) {
  uint64_t x[4], y[4], z[4];
  if (!parse_fq(t[0], name + ".x", x, reason) || !parse_fq(t[1], name + ".y", y, reason) ||
      !parse_fq(t[2], name + ".z", z, reason)) {
    return false;
  }
  if (is_small(z, 0)) {
    if (!is_small(x, 0) || !is_small(y, 1)) {
      reason = name + " has z = 0 but is not the point at infinity [0, 1, 0]";
      return false;
    }
    out = G1Aff::infinity();
    return true;
  }
  if (!is_small(z, 1)) {
    reason = name + ".z is neither 1 (an affine point) nor 0 (the point at infinity)";
    return false;
  }
  out = G1Aff{Fq::from_normal(x), Fq::from_normal(y)};
  if (!g1_on_curve_affine(out)) {
    reason = name + " is not on the curve";
    return false;
  }
  return true;
}

// [[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]]: z = [1, 0] affine, infinity [[0,0],[1,0],[0,0]].
bool decode_g2(const G2Text& t, const std::string& name, G2Aff& out, std::string& reason) {
  static const char* const kParts[6] = {".x.c0", ".x.c1", ".y.c0", ".y.c1", ".z.c0", ".z.c1"};
  uint64_t v[6][4];
  for (int i = 0; i < 6; ++i) {
    if (!parse_fq(t[i], name + kParts[i], v[i], reason)) return false;
  }
  if (is_small(v[4], 0) && is_small(v[5], 0)) {
    if (!is_small(v[0], 0) || !is_small(v[1], 0) || !is_small(v[2], 1) || !is_small(v[3], 0)) {
      reason = name + " has z = 0 but is not the point at infinity [[0, 0], [1, 0], [0, 0]]";
      return false;
    }
    out = G2Aff::infinity();
    return true;
  }
  if (!is_small(v[4], 1) || !is_small(v[5], 0)) {
    reason = name + ".z is neither [1, 0] (an affine point) nor [0, 0] (the point at infinity)";
    return false;
  }
  out = G2Aff{Fq2{Fq::from_normal(v[0]), Fq::from_normal(v[1])},
              Fq2{Fq::from_normal(v[2]), Fq::from_normal(v[3])}};
  if (!g2_on_curve_affine(out)) {
    reason = name + " is not on the twist curve";
    return false;
  }
  if (!g2_in_subgroup(out)) {
    reason = name + " is not in the G2 subgroup";
    return false;
  }
  return true;
}

// G1 work runs on the pairing's fast Fq (G1Fast, bn254/pairing/pairing.h).
using G1Acc = G1Fast::Acc;
using G1Pt = G1Fast::Aff;

// k * p, binary from the top set bit with mixed additions.
G1Acc g1_mul(const G1Pt& p, const uint64_t k[4]) {
  G1Acc r = G1Acc::infinity();
  if (p.is_inf()) return r;
  for (int i = 3; i >= 0; --i) {
    for (int b = 63; b >= 0; --b) {
      r.dbl();
      if ((k[i] >> b) & 1) r.add_affine(p);
    }
  }
  return r;
}

// k1 p + k2 phi(p) = (k1 + lambda k2) p, phi(x, y) = (beta x, y) (pairing.h): one pass of
// 64 doublings over both scalars' bits (Shamir's trick) instead of 128.
G1Acc g1_mul_glv(const G1Pt& p, uint64_t k1, uint64_t k2, const F1& beta) {
  G1Acc r = G1Acc::infinity();
  if (p.is_inf()) return r;
  const G1Pt phi{p.x * beta, p.y};
  G1Acc both = G1Acc::from_affine(p);
  both.add_affine(phi);
  for (int b = 63; b >= 0; --b) {
    r.dbl();
    const bool b1 = (k1 >> b) & 1, b2 = (k2 >> b) & 1;
    if (b1 && b2) {
      r.add(both);
    } else if (b1) {
      r.add_affine(p);
    } else if (b2) {
      r.add_affine(phi);
    }
  }
  return r;
}

// sum_j k_j P_j for scalars below 2^bits: Pippenger, single-threaded (the verifier gets
// its parallelism from worker threads, one batch each).
G1Acc g1_msm(const G1Pt* bases, const Scalar* k, size_t n, int bits) {
  G1Acc acc = G1Acc::infinity();
  if (n == 0) return acc;
  if (n < 4) {
    for (size_t j = 0; j < n; ++j) acc.add(g1_mul(bases[j], k[j].l));
    return acc;
  }
  int c = 2;
  double best = 1e300;
  for (int w = 2; w <= 12; ++w) {
    const double cost = (double)(bits / w + 1) * ((double)n + 3.0 * (double)(1u << (w - 1)));
    if (cost < best) {
      best = cost;
      c = w;
    }
  }
  const int nwin = bits / c + 1;  // a spare top bit absorbs the last signed-digit carry
  std::vector<int32_t> digits((size_t)nwin * n);
  for (size_t j = 0; j < n; ++j) recode_signed(k[j], c, nwin, &digits[j], n);
  const int nb = 1 << (c - 1);
  std::vector<G1Acc> buckets(nb);
  for (int w = nwin - 1; w >= 0; --w) {
    for (int i = 0; i < c; ++i) acc.dbl();
    for (auto& b : buckets) b = G1Acc::infinity();
    const int32_t* row = &digits[(size_t)w * n];
    for (size_t j = 0; j < n; ++j) bucket_add<G1Fast>(buckets.data(), row[j], bases[j]);
    acc.add(bucket_reduce<G1Fast>(buckets.data(), nb));
  }
  return acc;
}

// Batch coefficients from the OS, two 64-bit halves each (rho = l[0] + lambda l[1], never
// 0: the halves are below 2^64 and the shortest non-zero (d1, d2) with d1 + lambda d2 = 0
// mod r has a 127-bit entry, so the 2^128 pairs give 2^128 distinct coefficients mod r);
// false if the OS has no randomness to give.
bool random_coefficients(size_t n, std::vector<Scalar>& out) {
  std::vector<uint64_t> words(2 * n);
  uint8_t* p = reinterpret_cast<uint8_t*>(words.data());
  size_t need = words.size() * sizeof(uint64_t);
  while (need > 0) {
    const ssize_t got = getrandom(p, need, 0);
    if (got <= 0) return false;
    p += got;
    need -= (size_t)got;
  }
  out.resize(n);
  for (size_t j = 0; j < n; ++j) {
    out[j] = Scalar{{words[2 * j], words[2 * j + 1], 0, 0}};
    if (out[j].is_zero()) out[j].l[0] = 1;
  }
  return true;
}

}  // namespace

std::unique_ptr<PreparedKey> PreparedKey::prepare(const KeyText& text, std::string& reason) {
  std::unique_ptr<PreparedKey> key(new PreparedKey());
  G1Aff alpha;
  G2Aff beta, gamma, delta;
  if (!decode_g1(text.alpha, "vk_alpha_1", alpha, reason) || !decode_g2(text.beta, "vk_beta_2", beta, reason) ||
      !decode_g2(text.gamma, "vk_gamma_2", gamma, reason) || !decode_g2(text.delta, "vk_delta_2", delta, reason)) {
    return nullptr;
  }
  // Any of these at infinity collapses a pairing to 1 and lets proofs be forged.
  const char* inf = alpha.is_inf() ? "vk_alpha_1" : beta.is_inf() ? "vk_beta_2" : gamma.is_inf() ? "vk_gamma_2"
                                                  : delta.is_inf() ? "vk_delta_2" : nullptr;
  if (inf) {
    reason = std::string(inf) + " is the point at infinity";
    return nullptr;
  }
  if (text.ic.empty()) {
    reason = "IC is empty";
    return nullptr;
  }
  key->ic_.resize(text.ic.size());
  for (size_t i = 0; i < text.ic.size(); ++i) {
    G1Aff p;
    if (!decode_g1(text.ic[i], "IC[" + std::to_string(i) + "]", p, reason)) return nullptr;
    key->ic_[i] = to_fast(p);
  }
  if (key->ic_.size() <= kMaxTabledIc) {
    for (const G1Pt& p : key->ic_) key->ic_tables_.emplace_back(new FixedBase<G1Fast>(p));
  }
  key->gamma_ = G2Prepared(gamma);
  key->delta_ = G2Prepared(delta);
  key->alphabeta_inv_ = pairing(alpha, beta).conj();
  return key;
}

size_t PreparedKey::memory_bytes() const {
  size_t lines = (gamma_.lines().size() + delta_.lines().size()) * sizeof(LineCoeffs);
  size_t tables =
      ic_tables_.size() * (size_t)FixedBase<G1Fast>::kWindows * FixedBase<G1Fast>::kEntries * sizeof(G1Pt);
  return sizeof(*this) + lines + tables + ic_.size() * sizeof(G1Pt);
}

G1Acc PreparedKey::linear_combination(const std::array<uint64_t, 4>* s, const uint64_t* ic0_scalar) const {
  const size_t n = n_public();
  if (!ic_tables_.empty()) {
    G1Acc acc = ic0_scalar ? ic_tables_[0]->mul(ic0_scalar) : G1Acc::from_affine(ic_[0]);
    for (size_t i = 0; i < n; ++i) acc.add(ic_tables_[i + 1]->mul(s[i].data()));
    return acc;
  }
  std::vector<Scalar> k(n);
  for (size_t i = 0; i < n; ++i) k[i] = Scalar{{s[i][0], s[i][1], s[i][2], s[i][3]}};
  G1Acc acc = g1_msm(ic_.data() + 1, k.data(), n, 254);
  if (ic0_scalar) {
    acc.add(g1_mul(ic_[0], ic0_scalar));
  } else {
    acc.add_affine(ic_[0]);
  }
  return acc;
}

bool PreparedKey::decode(const ProofText& text, DecodedProof& out, std::string& reason) const {
  if (text.publics.size() != n_public()) {
    reason = "expected " + std::to_string(n_public()) + " public signals (nPublic), got " +
             std::to_string(text.publics.size());
    return false;
  }
  if (!decode_g1(text.a, "pi_a", out.a, reason) || !decode_g2(text.b, "pi_b", out.b, reason) ||
      !decode_g1(text.c, "pi_c", out.c, reason)) {
    return false;
  }
  out.publics.resize(text.publics.size());
  for (size_t i = 0; i < text.publics.size(); ++i) {
    const Num n = parse_below(text.publics[i], wide::kR, out.publics[i].data());
    if (!num_reason(n, "public signal " + std::to_string(i), "scalar field modulus", reason)) return false;
  }
  out.b_lines = G2Prepared(out.b);
  return true;
}

bool PreparedKey::check(const DecodedProof& d) const {
  G1Pt vk_x;
  const G1Acc acc = linear_combination(d.publics.data(), nullptr);
  batch_to_affine<G1Fast>(&acc, &vk_x, 1);
  // e(-A, B) e(vk_x, gamma) e(C, delta) == e(alpha, beta)^-1
  const PairingTerm terms[3] = {{d.a.neg(), &d.b_lines}, {from_fast(vk_x), &gamma_}, {d.c, &delta_}};
  return final_exponentiation(miller_loop(terms, 3)) == alphabeta_inv_;
}

Verdict PreparedKey::verify(const ProofText& proof) const {
  DecodedProof d;
  std::string reason;
  if (!decode(proof, d, reason)) return Verdict{Outcome::kMalformed, reason};
  if (!check(d)) return Verdict{Outcome::kInvalid, "pairing check failed"};
  return Verdict{Outcome::kValid, ""};
}

std::vector<Verdict> PreparedKey::verify_batch(const std::vector<ProofText>& proofs) const {
  std::vector<Verdict> out(proofs.size(), Verdict{Outcome::kValid, ""});
  std::vector<DecodedProof> live;
  std::vector<size_t> where;
  live.reserve(proofs.size());
  for (size_t j = 0; j < proofs.size(); ++j) {
    live.emplace_back();
    std::string reason;
    if (decode(proofs[j], live.back(), reason)) {
      where.push_back(j);
    } else {
      live.pop_back();
      out[j] = Verdict{Outcome::kMalformed, reason};
    }
  }
  const size_t k = live.size();
  auto one_by_one = [&] {
    for (size_t j = 0; j < k; ++j) {
      if (!check(live[j])) out[where[j]] = Verdict{Outcome::kInvalid, "pairing check failed"};
    }
    return out;
  };
  std::vector<Scalar> rho;
  if (k < 2 || !random_coefficients(k, rho)) return one_by_one();

  // prod_j e(-rho_j A_j, B_j) * e(sum_j rho_j vk_x_j, gamma) * e(sum_j rho_j C_j, delta)
  //   == e(alpha, beta)^-(sum_j rho_j)
  // with sum_j rho_j vk_x_j = (sum rho_j) IC0 + sum_i (sum_j rho_j s_ji) IC_i: the public
  // signals combine in Fr, so the batch needs one linear combination of the IC points.
  // rho_j = rho1_j + lambda rho2_j, so rho_j P = rho1_j P + rho2_j phi(P) with 64-bit halves.
  const G1Endomorphism& endo = g1_endomorphism();
  const F1 beta{endo.beta};
  std::vector<G1Acc> scaled_a(k);
  std::vector<G1Pt> c_points(2 * k);  // C_j, then phi(C_j)
  std::vector<Scalar> c_scalars(2 * k);
  Fr rho_sum = Fr::zero();
  std::vector<Fr> combined(n_public(), Fr::zero());
  for (size_t j = 0; j < k; ++j) {
    scaled_a[j] = g1_mul_glv(to_fast(live[j].a), rho[j].l[0], rho[j].l[1], beta).neg();
    c_points[j] = to_fast(live[j].c);
    c_points[k + j] = c_points[j].is_inf() ? c_points[j] : G1Pt{c_points[j].x * beta, c_points[j].y};
    c_scalars[j] = Scalar{{rho[j].l[0], 0, 0, 0}};
    c_scalars[k + j] = Scalar{{rho[j].l[1], 0, 0, 0}};
    const Fr r = Fr::from_u64(rho[j].l[0]) + endo.lambda * Fr::from_u64(rho[j].l[1]);
    rho_sum += r;
    for (size_t i = 0; i < n_public(); ++i) combined[i] += r * Fr::from_normal(live[j].publics[i].data());
  }
  std::vector<std::array<uint64_t, 4>> combined_normal(n_public());
  for (size_t i = 0; i < n_public(); ++i) combined[i].to_normal(combined_normal[i].data());
  uint64_t rho_sum_normal[4];
  rho_sum.to_normal(rho_sum_normal);

  std::vector<G1Acc> sums{linear_combination(combined_normal.data(), rho_sum_normal),
                            g1_msm(c_points.data(), c_scalars.data(), 2 * k, 64)};
  scaled_a.insert(scaled_a.end(), sums.begin(), sums.end());
  std::vector<G1Pt> affine(scaled_a.size());
  batch_to_affine<G1Fast>(scaled_a.data(), affine.data(), scaled_a.size());

  std::vector<PairingTerm> terms(k + 2);
  for (size_t j = 0; j < k; ++j) terms[j] = PairingTerm{from_fast(affine[j]), &live[j].b_lines};
  terms[k] = PairingTerm{from_fast(affine[k]), &gamma_};
  terms[k + 1] = PairingTerm{from_fast(affine[k + 1]), &delta_};
  const Fq12 lhs = final_exponentiation(miller_loop(terms.data(), terms.size()));
  g_combined_checks.fetch_add(1, std::memory_order_relaxed);
  if (lhs == cyclotomic_pow(alphabeta_inv_, rho_sum_normal)) {
    g_combined_passes.fetch_add(1, std::memory_order_relaxed);
    return out;
  }
  return one_by_one();
}

BatchCounters batch_counters() {
  return BatchCounters{g_combined_checks.load(std::memory_order_relaxed),
                       g_combined_passes.load(std::memory_order_relaxed)};
}

}  // namespace pw::verifier
