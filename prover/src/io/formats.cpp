#include "io/formats.h"

#include <algorithm>
#include <cstring>

#include "io/binfile.h"

namespace pw {

namespace {

template <class F>
bool eq_limbs(const uint64_t a[4], const F& m) {
  return a[0] == m.l[0] && a[1] == m.l[1] && a[2] == m.l[2] && a[3] == m.l[3];
}

// A coordinate as stored: Montgomery limbs, which must be a canonical residue.
bool read_fq(Cursor& c, Fq& out) {
  uint64_t v[4];
  c.limbs(v);
  if (!Fq::is_canonical(v)) return false;
  out = Fq::from_mont_limbs(v[0], v[1], v[2], v[3]);
  return true;
}

G1Aff read_g1(Cursor& c, const std::string& what, bool check) {
  G1Aff p;
  if (!read_fq(c, p.x) || !read_fq(c, p.y)) throw ProverError(kExitBadZkey, what + ": coordinate >= q");
  if (check && !on_curve<G1>(p)) throw ProverError(kExitBadZkey, what + ": point is not on the BN254 G1 curve");
  return p;
}

G2Aff read_g2(Cursor& c, const std::string& what, bool check) {
  G2Aff p;
  if (!read_fq(c, p.x.c0) || !read_fq(c, p.x.c1) || !read_fq(c, p.y.c0) || !read_fq(c, p.y.c1))
    throw ProverError(kExitBadZkey, what + ": coordinate >= q");
  if (check && !on_curve<G2>(p)) throw ProverError(kExitBadZkey, what + ": point is not on the BN254 G2 twist");
  return p;
}

// A point as the zkey stores it (x then y, Fq2 coordinates c0 then c1, Montgomery limbs);
// false when a coordinate is not below q.
bool decode_fq(const uint8_t* p, Fq& out) {
  uint64_t v[4];
  std::memcpy(v, p, 32);
  if (!Fq::is_canonical(v)) return false;
  out = Fq::from_mont_limbs(v[0], v[1], v[2], v[3]);
  return true;
}
bool decode_point(const uint8_t* p, G1Aff& out) { return decode_fq(p, out.x) && decode_fq(p + 32, out.y); }
bool decode_point(const uint8_t* p, G2Aff& out) {
  return decode_fq(p, out.x.c0) && decode_fq(p + 32, out.x.c1) && decode_fq(p + 64, out.y.c0) &&
         decode_fq(p + 96, out.y.c1);
}

void expect_size(const Cursor& c, uint64_t want, const std::string& what) {
  if (c.remaining() != want) {
    throw ProverError(kExitBadZkey, what + " has " + std::to_string(c.remaining()) + " bytes, expected " +
                                        std::to_string(want));
  }
}

// Copies a section of points out of the mapped file, checking every coordinate is below
// q and (unless check is off) every point is on its curve, in slices across the pool when
// there is one. The errors are those of a sequential read: a coordinate >= q anywhere
// before any curve check, then the first point off the curve.
template <class C>
std::vector<typename C::Aff> read_points(const BinFile& f, uint32_t id, const char* name, uint64_t count,
                                         uint64_t psize, bool check, ThreadPool* pool) {
  using Aff = typename C::Aff;
  Cursor c = f.section(id, name);
  const std::string what = f.path() + ": section " + std::to_string(id) + " (" + name + ")";
  expect_size(c, count * psize, what);
  const uint8_t* base = c.take(count * psize);
  std::vector<Aff> out(count);
  const std::string point_what = f.path() + ": " + name;
  // 0: fine, 1: a coordinate >= q, 2: off the curve.
  std::vector<uint8_t> bad(count, 0);
  auto scan = [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      if (!decode_point(base + i * psize, out[i])) {
        bad[i] = 1;
      } else if (check && !on_curve<C>(out[i])) {
        bad[i] = 2;
      }
    }
  };
  if (pool) {
    pool->parallel_range(count, scan, 2048);
  } else {
    scan(0, count);
  }
  for (uint64_t i = 0; i < count; ++i) {
    if (bad[i] == 1) throw ProverError(kExitBadZkey, point_what + ": coordinate >= q");
  }
  for (uint64_t i = 0; i < count; ++i) {
    if (bad[i] == 2) {
      throw ProverError(kExitBadZkey, f.path() + ": " + name + "[" + std::to_string(i) + "]: point is not on the BN254 " +
                                          (sizeof(Aff) == 64 ? "G1 curve" : "G2 twist"));
    }
  }
  return out;
}

}  // namespace

bool limbs_equal_fq_modulus(const uint64_t v[4]) { return eq_limbs(v, Fq::modulus()); }
bool limbs_equal_fr_modulus(const uint64_t v[4]) { return eq_limbs(v, Fr::modulus()); }

Zkey load_zkey(const std::string& path, bool check_points, ThreadPool* pool) {
  BinFile f(path, "zkey", 2, kExitBadZkey);
  Zkey z;
  {
    Cursor c = f.section(1, "protocol");
    if (c.remaining() < 4) throw ProverError(kExitBadZkey, path + ": protocol section is truncated");
    uint32_t proto = c.u32();
    if (proto != 1) {
      throw ProverError(kExitBadZkey, path + ": protocol " + std::to_string(proto) + " is not Groth16 (1)");
    }
  }
  {
    Cursor c = f.section(2, "header");
    uint64_t v[4];
    if (c.u32() != 32) throw ProverError(kExitBadZkey, path + ": n8q is not 32; only BN254 is supported");
    c.limbs(v);
    if (!limbs_equal_fq_modulus(v)) throw ProverError(kExitBadZkey, path + ": base field is not BN254's q");
    if (c.u32() != 32) throw ProverError(kExitBadZkey, path + ": n8r is not 32; only BN254 is supported");
    c.limbs(v);
    if (!limbs_equal_fr_modulus(v)) throw ProverError(kExitBadZkey, path + ": scalar field is not BN254's r");
    z.n_vars = c.u32();
    z.n_public = c.u32();
    z.domain_size = c.u32();
    expect_size(c, 3 * 64 + 3 * 128, path + ": header");
    z.alpha1 = read_g1(c, path + ": alpha1", check_points);
    z.beta1 = read_g1(c, path + ": beta1", check_points);
    z.beta2 = read_g2(c, path + ": beta2", check_points);
    z.gamma2 = read_g2(c, path + ": gamma2", check_points);
    z.delta1 = read_g1(c, path + ": delta1", check_points);
    z.delta2 = read_g2(c, path + ": delta2", check_points);
  }
  if ((uint64_t)z.n_public + 1 > z.n_vars) {
    throw ProverError(kExitBadZkey, path + ": nPublic + 1 exceeds nVars");
  }
  const uint32_t d = z.domain_size;
  if (d < 2 || (d & (d - 1)) != 0) {
    throw ProverError(kExitBadZkey, path + ": domain size " + std::to_string(d) + " is not a power of two >= 2");
  }
  while ((1u << z.log_domain) < d) ++z.log_domain;
  // The odd-coset trick needs a 2N-th root of unity: N <= 2^27 (Fr has 2-adicity 28).
  if (z.log_domain >= FrParams::TWO_ADICITY) throw ProverError(kExitBadZkey, path + ": domain size above 2^27");
  if ((uint64_t)z.n_public + 1 > d) throw ProverError(kExitBadZkey, path + ": domain smaller than nPublic + 1");

  {
    Cursor c = f.section(4, "coefficients");
    uint32_t n = c.u32();
    expect_size(c, (uint64_t)n * 44, path + ": section 4 (coefficients)");
    z.coef_a.reserve(n);
    z.coef_b.reserve(n / 2 + 1);
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t m = c.u32();
      Coef k;
      k.constraint = c.u32();
      k.signal = c.u32();
      uint64_t v[4];
      c.limbs(v);
      if (m > 1) throw ProverError(kExitBadZkey, path + ": coefficient " + std::to_string(i) + " names matrix " + std::to_string(m));
      if (k.constraint >= d) {
        throw ProverError(kExitBadZkey, path + ": coefficient " + std::to_string(i) + " uses constraint " +
                                            std::to_string(k.constraint) + " outside the domain of " + std::to_string(d));
      }
      if (k.signal >= z.n_vars) throw ProverError(kExitBadZkey, path + ": coefficient " + std::to_string(i) + " names a signal >= nVars");
      if (!Fr::is_canonical(v)) throw ProverError(kExitBadZkey, path + ": coefficient " + std::to_string(i) + " is >= r");
      k.value = Fr::from_mont_limbs(v[0], v[1], v[2], v[3]);
      (m == 0 ? z.coef_a : z.coef_b).push_back(k);
    }
    // Ordered by constraint (snarkjs writes them so; others may not), so that the prover
    // can give each thread whole rows.
    auto by_row = [](const Coef& x, const Coef& y) { return x.constraint < y.constraint; };
    for (std::vector<Coef>* cs : {&z.coef_a, &z.coef_b}) {
      if (!std::is_sorted(cs->begin(), cs->end(), by_row)) std::stable_sort(cs->begin(), cs->end(), by_row);
    }
  }
  const uint64_t nv = z.n_vars, np = z.n_public;
  z.ic = read_points<G1>(f, 3, "IC", np + 1, 64, check_points, pool);
  z.a = read_points<G1>(f, 5, "A", nv, 64, check_points, pool);
  z.b1 = read_points<G1>(f, 6, "B1", nv, 64, check_points, pool);
  z.b2 = read_points<G2>(f, 7, "B2", nv, 128, check_points, pool);
  z.c = read_points<G1>(f, 8, "C", nv - np - 1, 64, check_points, pool);
  z.h = read_points<G1>(f, 9, "H", d, 64, check_points, pool);
  return z;
}

Witness load_wtns(const std::string& path) {
  BinFile f(path, "wtns", 2, kExitBadWitness);
  uint32_t n;
  {
    Cursor c = f.section(1, "header");
    uint32_t n8 = c.u32();
    if (n8 != 32) throw ProverError(kExitBadWitness, path + ": field size " + std::to_string(n8) + " is not BN254's 32 bytes");
    uint64_t q[4];
    c.limbs(q);
    if (!limbs_equal_fr_modulus(q)) throw ProverError(kExitBadWitness, path + ": witness prime is not BN254's r");
    n = c.u32();
  }
  Cursor c = f.section(2, "values");
  if (c.remaining() != (uint64_t)n * 32) {
    throw ProverError(kExitBadWitness, path + ": values section holds " + std::to_string(c.remaining()) +
                                           " bytes for " + std::to_string(n) + " values");
  }
  Witness w;
  w.values.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    c.limbs(w.values[i].l);
    if (!Fr::is_canonical(w.values[i].l)) throw ProverError(kExitBadWitness, path + ": value " + std::to_string(i) + " is >= r");
  }
  if (n == 0 || !w.values[0].is_one()) throw ProverError(kExitBadWitness, path + ": w[0] is not 1");
  return w;
}

R1cs load_r1cs(const std::string& path) {
  BinFile f(path, "r1cs", 1, kExitBadR1cs);
  R1cs r;
  {
    Cursor c = f.section(1, "header");
    if (c.u32() != 32) throw ProverError(kExitBadR1cs, path + ": field size is not 32 bytes");
    uint64_t p[4];
    c.limbs(p);
    if (!limbs_equal_fr_modulus(p)) throw ProverError(kExitBadR1cs, path + ": prime is not BN254's r");
    r.n_wires = c.u32();
    r.n_pub_out = c.u32();
    r.n_pub_in = c.u32();
    r.n_prv_in = c.u32();
    c.u64();  // labels
    r.n_constraints = c.u32();
  }
  if ((uint64_t)r.n_pub_out + r.n_pub_in + 1 > r.n_wires) throw ProverError(kExitBadR1cs, path + ": more public signals than wires");
  Cursor c = f.section(2, "constraints");
  std::vector<R1csTerm>* lcs[3] = {&r.a, &r.b, &r.c};
  for (uint32_t k = 0; k < r.n_constraints; ++k) {
    for (int m = 0; m < 3; ++m) {
      uint32_t nt = c.u32();
      for (uint32_t t = 0; t < nt; ++t) {
        R1csTerm term;
        term.constraint = k;
        term.signal = c.u32();
        uint64_t v[4];
        c.limbs(v);
        if (term.signal >= r.n_wires) throw ProverError(kExitBadR1cs, path + ": constraint " + std::to_string(k) + " names a wire >= nWires");
        if (!Fr::is_canonical(v)) throw ProverError(kExitBadR1cs, path + ": coefficient >= r in constraint " + std::to_string(k));
        term.value = Fr::from_normal(v);
        lcs[m]->push_back(term);
      }
    }
  }
  return r;
}

}  // namespace pw
