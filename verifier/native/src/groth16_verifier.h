// Groth16 verification over BN254 for snarkjs keys and proofs, on top of the pairing in
// bn254/ (the BN254 library). Input arrives as the decimal strings of snarkjs' JSON, already
// shape-checked by verifier/native.ts; everything numeric (canonical decimals, ranges,
// the projective z convention, curve and subgroup membership) is checked here, and every
// failure is a verdict with a reason, never a crash.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bn254/ec/batch_affine.h"
#include "bn254/pairing/pairing.h"

namespace pw::verifier {

enum class Outcome : int { kValid = 0, kInvalid = 1, kMalformed = 2 };

struct Verdict {
  Outcome outcome;
  std::string reason;  // empty when valid
};

// snarkjs' layouts: G1 [x, y, z]; G2 [[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]] flattened.
using G1Text = std::array<std::string, 3>;
using G2Text = std::array<std::string, 6>;

struct KeyText {
  G1Text alpha;
  G2Text beta, gamma, delta;
  std::vector<G1Text> ic;  // nPublic + 1 points
};

struct ProofText {
  G1Text a;
  G2Text b;
  G1Text c;
  std::vector<std::string> publics;
};

// A proof whose encoding passed every check: points on their curves, B in G2, public
// signals below r. Its B lines are computed once, for the batch and for its fallback.
struct DecodedProof {
  G1Aff a, c;
  G2Aff b;
  G2Prepared b_lines;
  std::vector<std::array<uint64_t, 4>> publics;  // normal form, each < r
};

// How often batches took the combined check and how often it held, over the process. A
// batch of valid proofs that fails it is still judged right (one by one), only slowly, so
// the tests read these to see that the combined equation itself is right.
struct BatchCounters {
  uint64_t combined_checks, combined_passes;
};
BatchCounters batch_counters();

class PreparedKey {
 public:
  // nullptr with `reason` set when the key is unusable.
  static std::unique_ptr<PreparedKey> prepare(const KeyText& text, std::string& reason);

  size_t n_public() const { return ic_.size() - 1; }
  size_t memory_bytes() const;

  Verdict verify(const ProofText& proof) const;
  // One check for all well-formed items with random 128-bit coefficients from the OS (two
  // 64-bit halves over the G1 endomorphism, see random_coefficients);
  // when it fails, each item is checked alone. Malformed items get their own verdict.
  std::vector<Verdict> verify_batch(const std::vector<ProofText>& proofs) const;

  // The decoding step alone: malformed verdict, or the decoded proof.
  bool decode(const ProofText& text, DecodedProof& out, std::string& reason) const;
  bool check(const DecodedProof& proof) const;

 private:
  PreparedKey() = default;
  // IC0 + sum_i s_i IC_{i+1}, with s_0 multiplying IC0 too when `scale_ic0` is given.
  G1Fast::Acc linear_combination(const std::array<uint64_t, 4>* scalars, const uint64_t* ic0_scalar) const;

  std::vector<G1Fast::Aff> ic_;
  // Fixed-base tables for the IC points when there are few of them (512 KiB each).
  std::vector<std::unique_ptr<FixedBase<G1Fast>>> ic_tables_;
  G2Prepared gamma_, delta_;
  Fq12 alphabeta_inv_;  // e(alpha, beta)^-1
};

}  // namespace pw::verifier
