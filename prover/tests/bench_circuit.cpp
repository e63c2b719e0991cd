// prover-bench-circuit: writes a benchmark circuit's circom .r1cs and a satisfying snarkjs
// .wtns directly, for machines with neither Node.js nor circom (a lent GPU machine takes
// 64 MiB of luggage; a 2^20 r1cs is about 160 MB). `proofwatch-prover dev-setup` then makes
// its (insecure) zkey there.
//
//   prover-bench-circuit LOG_DOMAIN OUT.r1cs OUT.wtns [SEED]
//
// The circuit is a squaring chain, hash-chain like, so every witness value is full width:
//   wire 0 = 1, wire 1 = out (public output), wire 2 = x_0 (private input), wires 3.. = x_1..x_m
//   constraint i < m:  x_i * x_i = x_{i+1} - c_i     (C holds -c_i on wire 0)
//   constraint m:      x_m * 1   = out
// with x_0 and every c_i drawn from SEED. m = 2^LOG_DOMAIN - 3, so constraints + public =
// 2^LOG_DOMAIN - 1: the largest circuit whose snarkjs/dev-setup domain,
// 2^(floor(log2(constraints + public)) + 1), is 2^LOG_DOMAIN; with the nPublic + 1 rows
// that bind the public signals it fills that domain exactly.
//
// Formats: https://github.com/iden3/r1csfile/blob/master/doc/r1cs_bin_format.md and
// snarkjs' wtns (read back by src/io/formats.cpp load_r1cs / load_wtns).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "groth16/prover.h"
#include "io/bin_writer.h"
#include "util/error.h"

using namespace pw;

namespace {

const char* kUsage =
    "usage: prover-bench-circuit LOG_DOMAIN OUT.r1cs OUT.wtns [SEED]\n"
    "  writes a squaring-chain circuit filling a 2^LOG_DOMAIN Groth16 domain (LOG_DOMAIN in 2..27)\n"
    "  and its witness; SEED (default 1) picks the private input and the round constants\n";

constexpr int kMinLog = 2;
// dev-setup and the prover need a 2N-th root of unity: N <= 2^27 (Fr has 2-adicity 28).
constexpr int kMaxLog = FrParams::TWO_ADICITY - 1;

constexpr uint32_t kFieldBytes = 32;
constexpr uint64_t kTermBytes = 4 + kFieldBytes;
// nTerms of A, B and C, then A = {x_i}, B = {x_i}, C = {x_{i+1}, one}.
constexpr uint64_t kSquaringBytes = 3 * 4 + 4 * kTermBytes;
// A = {x_m}, B = {one}, C = {out}.
constexpr uint64_t kOutputBytes = 3 * 4 + 3 * kTermBytes;

bool parse_u64(const char* s, uint64_t& out) {
  const std::string v(s);
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::strtoull(s, nullptr, 10);
  return true;
}

// x_0, then per step c_i and x_{i+1} = x_i^2 + c_i: the same stream for both passes.
struct Chain {
  uint64_t state;
  Fr x, c;
  explicit Chain(uint64_t seed) : state(seed), x(random_fr(true, state)), c(Fr::zero()) {}
  void step() {
    c = random_fr(true, state);
    x = x.sqr() + c;
  }
};

class Files {
 public:
  Files(const std::string& r1cs, const std::string& wtns) : r1cs_(r1cs), wtns_(wtns) {}

  void term(uint32_t wire, const Fr& coef) {
    r1cs_.u32(wire);
    field(r1cs_, coef);
  }
  void value(const Fr& v) { field(wtns_, v); }
  BinWriter& r1cs() { return r1cs_; }
  BinWriter& wtns() { return wtns_; }

 private:
  // Both formats store field elements as 32 little-endian bytes in normal form.
  static void field(BinWriter& w, const Fr& v) {
    uint64_t n[4];
    v.to_normal(n);
    w.bytes(n, sizeof n);
  }
  BinWriter r1cs_, wtns_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  uint64_t log_domain = 0, seed = 1;
  if (!parse_u64(argv[1], log_domain) || log_domain < kMinLog || log_domain > kMaxLog) {
    std::fprintf(stderr, "prover-bench-circuit: LOG_DOMAIN must be in %d..%d, got '%s'\n", kMinLog, kMaxLog, argv[1]);
    return kExitUsage;
  }
  if (argc == 5 && !parse_u64(argv[4], seed)) {
    std::fprintf(stderr, "prover-bench-circuit: SEED must be a non-negative integer, got '%s'\n", argv[4]);
    return kExitUsage;
  }
  const auto t0 = std::chrono::steady_clock::now();
  try {
    const uint32_t m = (uint32_t(1) << log_domain) - 3;  // squarings
    const uint32_t n_wires = m + 3, n_constraints = m + 1;
    const uint32_t kOne = 0, kOut = 1, kX0 = 2;
    const Fr one = Fr::one();

    // The output comes first in the witness but last in the chain: walk it once for it.
    Chain walk(seed);
    for (uint32_t i = 0; i < m; ++i) walk.step();
    const Fr out = walk.x;

    Files f(argv[2], argv[3]);
    BinWriter& r = f.r1cs();
    const Fr modulus = Fr::modulus();
    r.bytes("r1cs", 4);
    r.u32(1);  // version
    r.u32(3);  // sections
    r.section(1, 4 + kFieldBytes + 4 * 4 + 8 + 4);
    r.u32(kFieldBytes);
    r.bytes(modulus.l, kFieldBytes);
    r.u32(n_wires);
    r.u32(1);  // public outputs
    r.u32(0);  // public inputs
    r.u32(1);  // private inputs
    r.u64(n_wires);  // labels: one per wire
    r.u32(n_constraints);
    r.section(2, m * kSquaringBytes + kOutputBytes);

    BinWriter& w = f.wtns();
    w.bytes("wtns", 4);
    w.u32(2);  // version
    w.u32(2);  // sections
    w.section(1, 4 + kFieldBytes + 4);
    w.u32(kFieldBytes);
    w.bytes(modulus.l, kFieldBytes);
    w.u32(n_wires);
    w.section(2, uint64_t(n_wires) * kFieldBytes);
    f.value(one);
    f.value(out);

    Chain chain(seed);
    f.value(chain.x);
    for (uint32_t i = 0; i < m; ++i) {
      const uint32_t xi = kX0 + i;
      chain.step();
      r.u32(1);
      f.term(xi, one);
      r.u32(1);
      f.term(xi, one);
      r.u32(2);
      f.term(xi + 1, one);
      f.term(kOne, -chain.c);
      f.value(chain.x);
    }
    if (chain.x != out) throw ProverError(kExitInternal, "the two walks of the chain disagree");
    r.u32(1);
    f.term(kX0 + m, one);
    r.u32(1);
    f.term(kOne, one);
    r.u32(1);
    f.term(kOut, one);

    r.section(3, uint64_t(n_wires) * 8);
    for (uint32_t i = 0; i < n_wires; ++i) r.u64(i);
    r.close();
    w.close();

    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr,
                 "prover-bench-circuit: 2^%u domain: %u constraints, %u wires, 1 public output, seed %llu, "
                 "%.2f s\n",
                 (unsigned)log_domain, n_constraints, n_wires, (unsigned long long)seed, s);
    return kExitOk;
  } catch (const ProverError& e) {
    std::fprintf(stderr, "prover-bench-circuit: %s\n", e.what());
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "prover-bench-circuit: %s\n", e.what());
    return kExitInternal;
  }
}
