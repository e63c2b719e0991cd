// Optimal ate pairing on BN254: e(P, Q) = f_{6x+2,Q}(P) * l_{[6x+2]Q, psi(Q)}(P)
//   * l_{[6x+2]Q + psi(Q), -psi^2(Q)}(P), raised to (p^12 - 1)/r times a fixed multiple
// coprime to r (the Fuentes-Castaneda et al. hard part), x = 4965661367192848881.
// P in G1 = E(Fq), Q in G2 on the D-type twist E'(Fq2): y^2 = x^3 + 3/(9 + u).
//
// G2 points are "prepared" once: every line of the Miller loop depends only on Q, so its
// coefficients are computed up front and a pairing with a fixed Q (a verification key's
// beta, gamma, delta) only evaluates them at P. A product of pairings shares one Miller
// loop accumulator and one final exponentiation.
#pragma once
#include <cstddef>
#include <vector>

#include "bn254/ec/curve.h"
#include "bn254/pairing/tower.h"

namespace pw {

// The verifier's G1 types. They were a copy of G1 over a faster Fq while the prover's
// field had the portable product only; now that Fq itself runs on the fast backend they
// are G1's, and the conversions are the identity (kept so the addon's code reads the same).
using G1Fast = G1;
inline const G1Aff& to_fast(const G1Aff& p) { return p; }
inline const G1Aff& from_fast(const G1Aff& p) { return p; }

// The BN parameter x (positive for BN254).
constexpr uint64_t kBnX = 4965661367192848881ULL;

// One Miller loop line, l(P) = a * yP + (b * xP) w + c w^3, up to a factor in Fq2 that the
// final exponentiation removes.
struct LineCoeffs {
  F2 a, b, c;
};

class G2Prepared {
 public:
  G2Prepared() = default;  // the point at infinity: contributes 1 to any product
  explicit G2Prepared(const G2Aff& q);
  bool is_infinity() const { return lines_.empty(); }
  const std::vector<LineCoeffs>& lines() const { return lines_; }

 private:
  std::vector<LineCoeffs> lines_;
};

struct PairingTerm {
  G1Aff p;
  const G2Prepared* q;
};

// prod_i f_i(P_i) over the terms, before the final exponentiation. Terms with P or Q at
// infinity are skipped (their pairing is 1).
Fq12 miller_loop(const PairingTerm* terms, size_t n);
Fq12 final_exponentiation(const Fq12& f);
Fq12 pairing(const G1Aff& p, const G2Aff& q);

// f^e for f in the cyclotomic subgroup (any final exponentiation output), e normal-form limbs.
Fq12 cyclotomic_pow(const Fq12& f, const uint64_t e[4]);
// Generic f^e (square-and-multiply with full squarings).
Fq12 fq12_pow(const Fq12& f, const uint64_t e[4]);

// The untwist-Frobenius-twist endomorphism; on G2 it is multiplication by p.
G2Aff g2_psi(const G2Aff& q);

// Membership in the order-r subgroup G2 of a point already known to be on the twist:
// [x+1]Q + psi([x]Q) + psi^2([x]Q) == psi^3([2x]Q) (Dai, Lin, Zhao, Zhou, ePrint 2022/348;
// it holds for BN254 because x != 4 mod 13 and x != 92 mod 97), one 63-bit multiplication.
bool g2_in_subgroup(const G2Aff& q);
// psi(Q) == [6x^2]Q (El Housni, Guillevic, Piellard, ePrint 2022/352), a 127-bit one, and
// the definition [r]Q == 0: the references the fast test is checked against.
bool g2_in_subgroup_by_psi(const G2Aff& q);
bool g2_in_subgroup_by_order(const G2Aff& q);

// On-curve checks that, unlike curve.h's on_curve, do not read (0, 0) as the point at
// infinity: for decoded input, infinity is a separate flag.
bool g1_on_curve_affine(const G1Aff& p);
bool g2_on_curve_affine(const G2Aff& q);

G1Aff g1_generator();
G2Aff g2_generator();

// The GLV endomorphism of G1: phi(x, y) = (beta x, y) = [lambda] P for every P in G1, with
// beta a primitive cube root of unity in Fq and lambda = 36x^3 + 18x^2 + 6x + 1 one mod r.
// Derived at first use; of the two cube roots beta, the one that matches lambda on the
// generator. The verifier's batch coefficients rho = rho1 + lambda rho2 (64-bit halves)
// then cost half the doublings: rho P = rho1 P + rho2 phi(P).
struct G1Endomorphism {
  Fq beta;
  Fr lambda;
};
const G1Endomorphism& g1_endomorphism();

}  // namespace pw
