// Where a native verification spends its time, without Node: the whole verify and batch,
// then each stage on its own (decode, G2 subgroup test, pi_b's lines, Miller loop, final
// exponentiation). Not built by node-gyp; bench/verifier/profile.sh builds and runs it on
// a fixture dumped by bench/verifier/dump-fixture.mjs.
//
//   profile INPUT [seconds-per-row | once] [short]
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>

#include "groth16_verifier.h"

using namespace pw;
using namespace pw::verifier;

namespace {

template <size_t N>
void read_into(std::ifstream& in, std::array<std::string, N>& out) {
  for (auto& s : out) in >> s;
}

double seconds_per_row = 1.0;

// This thread's CPU time: on a shared machine it counts only the time actually run.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Mean CPU microseconds per call of f over about `seconds_per_row`.
double time_us(const std::function<void()>& f) {
  f();
  size_t n = 0;
  const double t0 = cpu_seconds();
  double el = 0;
  do {
    for (int i = 0; i < 8; ++i) f();
    n += 8;
    el = cpu_seconds() - t0;
  } while (el < seconds_per_row);
  return el * 1e6 / (double)n;
}

volatile uint64_t sink;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: profile INPUT [seconds-per-row]\n");
    return 2;
  }
  if (argc > 2 && std::atof(argv[2]) > 0) seconds_per_row = std::atof(argv[2]);
  std::ifstream in(argv[1]);
  KeyText kt;
  read_into(in, kt.alpha);
  read_into(in, kt.beta);
  read_into(in, kt.gamma);
  read_into(in, kt.delta);
  size_t nic = 0, nproofs = 0;
  in >> nic;
  kt.ic.resize(nic);
  for (auto& p : kt.ic) read_into(in, p);
  in >> nproofs;
  std::vector<ProofText> proofs(nproofs);
  for (auto& p : proofs) {
    read_into(in, p.a);
    read_into(in, p.b);
    read_into(in, p.c);
    size_t ns = 0;
    in >> ns;
    p.publics.resize(ns);
    for (auto& s : p.publics) in >> s;
  }
  if (!in || nproofs == 0) {
    std::fprintf(stderr, "profile: cannot read %s\n", argv[1]);
    return 2;
  }
  std::string reason;
  const auto key = PreparedKey::prepare(kt, reason);
  if (!key) {
    std::fprintf(stderr, "profile: key refused: %s\n", reason.c_str());
    return 1;
  }
  std::vector<ProofText> batch;
  for (size_t i = 0; i < 64; ++i) batch.push_back(proofs[i % nproofs]);
  // "once": one verify and one batch, for instruction counts under valgrind --tool=callgrind
  // (steady on a shared machine, where wall-clock rows are not).
  if (argc > 2 && std::string(argv[2]) == "once") {
    sink = (uint64_t)key->verify(proofs[0]).outcome;
    sink = key->verify_batch(batch).size();
    return 0;
  }
  for (const auto& p : proofs) {
    if (key->verify(p).outcome != Outcome::kValid) {
      std::fprintf(stderr, "profile: a fixture proof does not verify\n");
      return 1;
    }
  }
  for (const auto& v : key->verify_batch(batch)) {
    if (v.outcome != Outcome::kValid) {
      std::fprintf(stderr, "profile: the batch does not verify\n");
      return 1;
    }
  }

  size_t next = 0;
  const ProofText& p0 = proofs[0];
  DecodedProof d0;
  key->decode(p0, d0, reason);
  const G1Aff a = d0.a.neg();
  const PairingTerm terms[1] = {{a, &d0.b_lines}};
  const Fq12 f = miller_loop(terms, 1);
  const Fq12 g = final_exponentiation(f);

  const double verify = time_us([&] { sink = (uint64_t)key->verify(proofs[next++ % nproofs]).outcome; });
  const double batch_us = time_us([&] { sink = key->verify_batch(batch).size(); });
  std::printf("verify one                  %9.1f us\n", verify);
  std::printf("verify batch of 64          %9.1f us per proof\n", batch_us / 64);
  if (argc > 3 && std::string(argv[3]) == "short") return 0;
  std::printf("  decode (parse+checks+lines)%8.1f us\n", time_us([&] {
                DecodedProof d;
                std::string r;
                sink = key->decode(proofs[next++ % nproofs], d, r);
              }));
  std::printf("  check (vk_x + 3 pairings) %9.1f us\n", time_us([&] { sink = key->check(d0); }));
  std::printf("  g2_in_subgroup(pi_b)      %9.1f us\n", time_us([&] { sink = g2_in_subgroup(d0.b); }));
  std::printf("  G2Prepared(pi_b)          %9.1f us\n", time_us([&] {
                G2Prepared pb(d0.b);
                sink = pb.lines().size();
              }));
  std::printf("  g2 on curve               %9.1f us\n", time_us([&] { sink = g2_on_curve_affine(d0.b); }));
  std::printf("  miller loop, 1 term       %9.1f us\n", time_us([&] { sink = miller_loop(terms, 1).c0.c0.c0.l[0]; }));
  const PairingTerm three[3] = {{a, &d0.b_lines}, {d0.c, &d0.b_lines}, {a, &d0.b_lines}};
  std::printf("  miller loop, 3 terms      %9.1f us\n", time_us([&] { sink = miller_loop(three, 3).c0.c0.c0.l[0]; }));
  std::printf("  final exponentiation      %9.1f us\n", time_us([&] { sink = final_exponentiation(f).c0.c0.c0.l[0]; }));
  std::printf("  fq12 mul                  %9.3f us\n", time_us([&] { sink = (f * g).c0.c0.c0.l[0]; }));
  std::printf("  fq12 sqr                  %9.3f us\n", time_us([&] { sink = f.sqr().c0.c0.c0.l[0]; }));
  std::printf("  fq12 cyclotomic sqr       %9.3f us\n", time_us([&] { sink = g.cyclotomic_sqr().c0.c0.c0.l[0]; }));
  std::printf("  fq mul                    %9.4f us\n", time_us([&] {
                Fq x = f.c0.c0.c0;
                for (int i = 0; i < 100; ++i) x = x * x;  // the backend CPUID chose
                sink = x.l[0];
              }) / 100);
  return 0;
}
