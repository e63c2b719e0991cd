// snarkjs file formats: Groth16 zkey, wtns witness, circom r1cs.
#pragma once
#include <string>
#include <vector>

#include "bn254/ec/curve.h"
#include "bn254/ff/scalar.h"
#include "bn254/util/thread_pool.h"

namespace pw {

// One non-zero entry of the A (matrix 0) or B (matrix 1) QAP matrix. value holds the
// zkey's raw limbs (v*R^2 mod r), i.e. the Montgomery form of v*R: multiplied in
// Montgomery by a normal-form witness limb vector (which reads as w/R) it yields v*w.
struct Coef {
  uint32_t constraint, signal;
  Fr value;
};

struct Zkey {
  uint32_t n_vars = 0, n_public = 0, domain_size = 0;
  int log_domain = 0;
  G1Aff alpha1, beta1, delta1;
  G2Aff beta2, gamma2, delta2;
  std::vector<G1Aff> ic, a, b1, c, h;
  std::vector<G2Aff> b2;
  std::vector<Coef> coef_a, coef_b;  // each ordered by constraint
};

// Throws ProverError(kExitBadZkey) on any format problem; check_points verifies every
// point lies on its curve (G1 has cofactor 1; G2 points are not subgroup-checked).
// pool, when given, runs the point checks in parallel.
Zkey load_zkey(const std::string& path, bool check_points, ThreadPool* pool = nullptr);

struct Witness {
  std::vector<Scalar> values;  // normal form, each < r
};
Witness load_wtns(const std::string& path);

struct R1csTerm {
  uint32_t constraint, signal;
  Fr value;  // Montgomery form
};
struct R1cs {
  uint32_t n_wires = 0, n_pub_out = 0, n_pub_in = 0, n_prv_in = 0, n_constraints = 0;
  std::vector<R1csTerm> a, b, c;
};
R1cs load_r1cs(const std::string& path);

// Raw 256-bit limbs equal to the BN254 moduli (used to check file headers).
bool limbs_equal_fq_modulus(const uint64_t v[4]);
bool limbs_equal_fr_modulus(const uint64_t v[4]);

}  // namespace pw
