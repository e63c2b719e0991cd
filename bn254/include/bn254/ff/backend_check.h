// The field backends against each other: every assembly routine of x86_64_asm.h (where
// this CPU has MULX/ADX, whatever backend.h chose) and every operator of Fq, Fr and Fq2
// (whichever backend they run on) against the portable C++ of field.h, on seeded random
// values and the edge values 0, 1, p - 1 and unreduced sums up to 2p - 2. The pairing
// self-test (the verifier addon) and prover-testkit (the prover's tests) both run it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace pw {

struct BackendCheck {
  std::string name;
  bool ok;
};

std::vector<BackendCheck> field_backend_check(uint64_t seed, int rounds = 2000);

}  // namespace pw
