// Algebraic self-checks of the pairing with random inputs drawn from a seed: tower
// arithmetic, Frobenius coefficients against p-th powers, cyclotomic squaring, bilinearity,
// non-degeneracy, multi-pairing and the G2 subgroup test against [r]Q == 0. The addon
// exposes it so the test suite exercises the same compiled code the verifier runs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace pw {

struct SelfTestCheck {
  std::string name;
  bool ok;
};

std::vector<SelfTestCheck> pairing_self_test(uint64_t seed);

}  // namespace pw
