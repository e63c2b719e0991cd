#include "groth16/dev_setup.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include "bn254/ec/batch_affine.h"
#include "groth16/prover.h"
#include "io/bin_writer.h"
#include "io/formats.h"
#include "ntt/ntt.h"
#include "util/error.h"

namespace pw {

namespace {

void batch_inverse(std::vector<Fr>& v) {
  std::vector<Fr> prefix(v.size());
  Fr acc = Fr::one();
  for (size_t i = 0; i < v.size(); ++i) {
    prefix[i] = acc;
    acc *= v[i];
  }
  Fr inv = acc.inverse();
  for (size_t i = v.size(); i-- > 0;) {
    Fr t = inv * prefix[i];
    inv *= v[i];
    v[i] = t;
  }
}

// L_j(tau) for the size-m domain at indices j = first, first+step, ... (count of them):
// L_j(x) = (x^m - 1)/m * w^j / (x - w^j).
std::vector<Fr> lagrange_at(const Fr& tau, int log_m, size_t first, size_t step, size_t count) {
  Fr w = root_of_unity(log_m);
  size_t m = size_t(1) << log_m;
  Fr taum = tau;
  for (int i = 0; i < log_m; ++i) taum = taum.sqr();
  Fr factor = (taum - Fr::one()) * Fr::from_u64(m).inverse();
  uint64_t e[4] = {first, 0, 0, 0};
  Fr wj = w.pow(e);
  uint64_t es[4] = {step, 0, 0, 0};
  Fr wstep = w.pow(es);
  std::vector<Fr> num(count), den(count);
  for (size_t i = 0; i < count; ++i) {
    num[i] = wj;
    den[i] = tau - wj;
    wj *= wstep;
  }
  batch_inverse(den);
  for (size_t i = 0; i < count; ++i) num[i] = factor * num[i] * den[i];
  return num;
}

}  // namespace

void insecure_dev_setup(const std::string& r1cs_path, const std::string& zkey_path, ThreadPool& pool, bool verbose) {
  auto t0 = std::chrono::steady_clock::now();
  auto log = [&](const char* what) {
    if (!verbose) return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "proofwatch-prover: dev-setup %.2fs %s\n", s, what);
  };
  R1cs r = load_r1cs(r1cs_path);
  log("read r1cs");
  const uint32_t n_public = r.n_pub_out + r.n_pub_in;
  const uint32_t n_vars = r.n_wires;
  // Same domain rule as snarkjs zkey new: 2^(floor(log2(constraints + public)) + 1).
  const uint64_t rows = (uint64_t)r.n_constraints + n_public;
  int log_n = 0;
  while ((uint64_t(1) << (log_n + 1)) <= rows) ++log_n;
  if (rows == 0) log_n = -1;
  log_n += 1;
  if (log_n < 1) log_n = 1;
  if (log_n >= FrParams::TWO_ADICITY) throw ProverError(kExitBadR1cs, r1cs_path + ": circuit too large for BN254");
  const size_t n = size_t(1) << log_n;

  uint64_t seed = 0x70726f6f66776174ULL;  // "proofwat": fixed, hence insecure
  const Fr tau = random_fr(true, seed), alpha = random_fr(true, seed), beta = random_fr(true, seed),
           gamma = random_fr(true, seed), delta = random_fr(true, seed);
  const Fr gamma_inv = gamma.inverse(), delta_inv = delta.inverse();

  std::vector<Fr> lag = lagrange_at(tau, log_n, 0, 1, n);
  std::vector<Fr> au(n_vars, Fr::zero()), bu(n_vars, Fr::zero()), cu(n_vars, Fr::zero());
  for (auto& t : r.a) au[t.signal] += t.value * lag[t.constraint];
  for (auto& t : r.b) bu[t.signal] += t.value * lag[t.constraint];
  for (auto& t : r.c) cu[t.signal] += t.value * lag[t.constraint];
  // snarkjs binds the public inputs with extra rows "signal * 1 = 0" in A.
  for (uint32_t s = 0; s <= n_public; ++s) au[s] += lag[r.n_constraints + s];

  std::vector<Fr> ic_s(n_public + 1), c_s(n_vars - n_public - 1);
  for (uint32_t s = 0; s < n_vars; ++s) {
    Fr v = beta * au[s] + alpha * bu[s] + cu[s];
    if (s <= n_public) {
      ic_s[s] = v * gamma_inv;
    } else {
      c_s[s - n_public - 1] = v * delta_inv;
    }
  }
  // H_i = L^{2N}_{2i+1}(tau) / delta: the prover's h values live on the odd points.
  std::vector<Fr> h_s = lagrange_at(tau, log_n + 1, 1, 2, n);
  for (auto& v : h_s) v *= delta_inv;
  log("evaluated the QAP at tau");

  FixedBase<G1> g1(G1::generator());
  FixedBase<G2> g2(G2::generator());
  std::vector<G1Aff> pa, pb1, pc, ph, pic;
  std::vector<G2Aff> pb2;
  g1.mul_many(au, pa, pool);
  g1.mul_many(bu, pb1, pool);
  g2.mul_many(bu, pb2, pool);
  g1.mul_many(c_s, pc, pool);
  g1.mul_many(ic_s, pic, pool);
  g1.mul_many(h_s, ph, pool);
  std::vector<G1Aff> k1;
  std::vector<G2Aff> k2;
  g1.mul_many({alpha, beta, delta}, k1, pool);
  g2.mul_many({beta, gamma, delta}, k2, pool);
  log("computed the points");

  BinWriter w(zkey_path);
  w.bytes("zkey", 4);
  w.u32(1);
  w.u32(10);
  w.section(1, 4);
  w.u32(1);
  w.section(2, 84 + 3 * 64 + 3 * 128);
  const Fq q = Fq::modulus();
  const Fr rm = Fr::modulus();
  w.u32(32);
  w.bytes(q.l, 32);
  w.u32(32);
  w.bytes(rm.l, 32);
  w.u32(n_vars);
  w.u32(n_public);
  w.u32((uint32_t)n);
  w.bytes(&k1[0], 64);   // alpha1
  w.bytes(&k1[1], 64);   // beta1
  w.bytes(&k2[0], 128);  // beta2
  w.bytes(&k2[1], 128);  // gamma2
  w.bytes(&k1[2], 64);   // delta1
  w.bytes(&k2[2], 128);  // delta2
  static_assert(sizeof(G1Aff) == 64 && sizeof(G2Aff) == 128, "points are written as raw Montgomery limbs");
  w.section(3, pic.size() * 64);
  w.bytes(pic.data(), pic.size() * 64);

  // Coefficients as v*R^2 mod r: Montgomery v times raw R^2 gives raw v*R^2.
  const Fr r2 = Fr::from_mont_limbs(FrParams::RR0, FrParams::RR1, FrParams::RR2, FrParams::RR3);
  const uint64_t n_coef = r.a.size() + r.b.size() + n_public + 1;
  if (n_coef > 0xffffffffULL) throw ProverError(kExitBadR1cs, r1cs_path + ": too many coefficients");
  w.section(4, 4 + n_coef * 44);
  w.u32((uint32_t)n_coef);
  auto coef = [&](uint32_t m, uint32_t c, uint32_t s, const Fr& v) {
    uint32_t hdr[3] = {m, c, s};
    w.bytes(hdr, 12);
    Fr raw = v * r2;
    w.bytes(raw.l, 32);
  };
  size_t ia = 0, ib = 0;
  for (uint32_t k = 0; k < r.n_constraints; ++k) {
    for (; ia < r.a.size() && r.a[ia].constraint == k; ++ia) coef(0, k, r.a[ia].signal, r.a[ia].value);
    for (; ib < r.b.size() && r.b[ib].constraint == k; ++ib) coef(1, k, r.b[ib].signal, r.b[ib].value);
  }
  for (uint32_t s = 0; s <= n_public; ++s) coef(0, r.n_constraints + s, s, Fr::one());

  w.section(5, pa.size() * 64);
  w.bytes(pa.data(), pa.size() * 64);
  w.section(6, pb1.size() * 64);
  w.bytes(pb1.data(), pb1.size() * 64);
  w.section(7, pb2.size() * 128);
  w.bytes(pb2.data(), pb2.size() * 128);
  w.section(8, pc.size() * 64);
  w.bytes(pc.data(), pc.size() * 64);
  w.section(9, ph.size() * 64);
  w.bytes(ph.data(), ph.size() * 64);
  // Contributions: a zero hash and no contributions (this key has no ceremony).
  w.section(10, 64 + 4);
  uint8_t zeros[64] = {0};
  w.bytes(zeros, 64);
  w.u32(0);
  w.close();
  log("wrote the zkey");
}

}  // namespace pw
