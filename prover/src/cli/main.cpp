// proofwatch-prover: rapidsnark-compatible CLI.
//   proofwatch-prover [options] <circuit.zkey> <witness.wtns> <proof.json> <public.json>
//   proofwatch-prover dev-setup <circuit.r1cs> <out.zkey>      (INSECURE test keys)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "canary/command.h"
#include "cuda/backend.h"
#include "groth16/backend_choice.h"
#include "groth16/dev_setup.h"
#include "groth16/prover.h"
#include "io/proof_json.h"
#include "util/cli_args.h"
#include "util/error.h"

using namespace pw;

// package.json's version; the build may pass its own (-DPROOFWATCH_VERSION="...").
#ifndef PROOFWATCH_VERSION
#define PROOFWATCH_VERSION "0.1.0"
#endif

namespace {

const char* kUsage =
    "usage: proofwatch-prover [options] <circuit.zkey> <witness.wtns> <proof.json> <public.json>\n"
    "       proofwatch-prover dev-setup [--threads N] <circuit.r1cs> <out.zkey>\n"
    "       proofwatch-prover canary [--device N] [--memory-share R] [--json]  (known-answer GPU check;\n"
    "                                canary --help)\n"
    "\n"
    "Groth16 prover over BN254 for snarkjs .zkey/.wtns files; writes snarkjs proof.json and public.json.\n"
    "\n"
    "options:\n"
    "  --backend cpu|cuda|auto  compute backend (default auto: cuda when a usable device is present, else cpu)\n"
    "                           (cuda-emu: the cuda pipeline on the CPU grid emulator, tests only)\n"
    "  --device N               GPU index for the cuda backend (default 0)\n"
    "  --threads N              worker threads (default: all cores)\n"
    "  --timings FILE           write seconds per phase as JSON\n"
    "  --seed N                 reproducible blinding r, s (tests only; default /dev/urandom)\n"
    "  --trust-zkey             skip the on-curve check of zkey points\n"
    "  --inject-fault KIND      h-bitflip | a-bitflip | c-bitflip: write a well-formed but invalid proof\n"
    "  -h, --help               this text\n"
    "  --version                print the version\n"
    "\n"
    "dev-setup makes an INSECURE zkey from fixed toxic waste (anyone can forge proofs\n"
    "with it): for tests and benchmarks only.\n"
    "\n"
    "exit codes: 0 ok, 1 internal, 2 usage, 3 bad zkey, 4 bad witness, 5 witness/zkey mismatch,\n"
    "            6 cannot write output, 7 bad r1cs, 8 backend not available\n";

// --version's second line: the CUDA runtime built in and what the driver supports.
std::string cuda_version_line() {
  const CudaVersions v = cuda_versions();
  if (!cuda_backend_built()) return "CUDA: not built (CPU backend only)";
  std::string line = "CUDA runtime " + cuda_version_string(v.runtime) + " (built with), driver ";
  return line + (v.driver > 0 ? "supports CUDA " + cuda_version_string(v.driver) : "none (" + v.why + ")");
}

std::string json_timings(const Timings& t, double total) {
  std::string s = "{";
  char buf[64];
  for (auto& [k, v] : t) {
    std::snprintf(buf, sizeof buf, "%.6f", v);
    s += "\n  \"" + k + "\": " + buf + ",";
  }
  std::snprintf(buf, sizeof buf, "%.6f", total);
  s += "\n  \"total\": " + std::string(buf) + "\n}\n";
  return s;
}

int run(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "canary") == 0) return canary::command(argc - 1, argv + 1);
  std::vector<std::string> pos;
  std::string backend = "auto", timings_path, fault_name;
  unsigned threads = 0;
  int device = 0;
  bool seeded = false, trust = false;
  uint64_t seed = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(kExitUsage, a + " needs a value (see --help)");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("proofwatch-prover, version %s\n%s\n", PROOFWATCH_VERSION, cuda_version_line().c_str());
      return 0;
    } else if (a == "--backend") {
      backend = value();
    } else if (a == "--device") {
      uint64_t d = parse_u64(a, value());
      if (d > 1023) fail(kExitUsage, "--device must be between 0 and 1023");
      device = (int)d;
    } else if (a == "--threads") {
      uint64_t t = parse_u64(a, value());
      if (t == 0 || t > 1024) fail(kExitUsage, "--threads must be between 1 and 1024");
      threads = (unsigned)t;
    } else if (a == "--timings") {
      timings_path = value();
    } else if (a == "--seed") {
      seed = parse_u64(a, value());
      seeded = true;
    } else if (a == "--trust-zkey") {
      trust = true;
    } else if (a == "--inject-fault") {
      fault_name = value();
    } else if (a.size() > 1 && a[0] == '-') {
      fail(kExitUsage, "unknown option " + a + " (see --help)");
    } else {
      pos.push_back(a);
    }
  }
  if (backend != "cpu" && backend != "cuda" && backend != "auto" && backend != "cuda-emu")
    fail(kExitUsage, "--backend must be cpu, cuda or auto");

  auto pool = std::make_shared<ThreadPool>(threads);

  if (!pos.empty() && pos[0] == "dev-setup") {
    if (pos.size() != 3) fail(kExitUsage, "dev-setup expects <circuit.r1cs> <out.zkey> (see --help)");
    std::fprintf(stderr, "proofwatch-prover: WARNING: dev-setup writes an INSECURE zkey from fixed toxic waste; "
                         "anyone can forge proofs with it. Tests and benchmarks only.\n");
    insecure_dev_setup(pos[1], pos[2], *pool);
    return 0;
  }
  if (pos.size() != 4) fail(kExitUsage, "expected <circuit.zkey> <witness.wtns> <proof.json> <public.json> (see --help)");

  ProveOptions opt;
  if (fault_name == "h-bitflip") {
    opt.fault = Fault::kHBitflip;
  } else if (fault_name == "a-bitflip") {
    opt.fault = Fault::kABitflip;
  } else if (fault_name == "c-bitflip") {
    opt.fault = Fault::kCBitflip;
  } else if (!fault_name.empty()) {
    fail(kExitUsage, "--inject-fault must be h-bitflip, a-bitflip or c-bitflip");
  }
  opt.seeded = seeded;
  opt.seed = seed;
  Timings timings;
  opt.timings = &timings;

  auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Groth16Prover> made = make_prover(pos[0], pool, !trust, backend, device);
  Groth16Prover& prover = *made;
  Witness w = load_wtns(pos[1]);
  auto t1 = std::chrono::steady_clock::now();
  Timings load{{"load", std::chrono::duration<double>(t1 - t0).count()}};
  Proof proof = prover.prove(w.values, opt);
  auto t2 = std::chrono::steady_clock::now();
  write_text_file(pos[2], proof_to_json(proof));
  write_text_file(pos[3], public_to_json(proof));
  auto t3 = std::chrono::steady_clock::now();
  if (!timings_path.empty()) {
    timings.insert(timings.begin(), load[0]);
    timings.emplace_back("write", std::chrono::duration<double>(t3 - t2).count());
    write_text_file(timings_path, json_timings(timings, std::chrono::duration<double>(t3 - t0).count()));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const ProverError& e) {
    fail(e.code, e.what());
  } catch (const std::bad_alloc&) {
    fail(kExitInternal, "out of memory");
  } catch (const std::exception& e) {
    fail(kExitInternal, std::string("internal error: ") + e.what());
  } catch (...) {
    fail(kExitInternal, "internal error");
  }
}
