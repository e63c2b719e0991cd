// `proofwatch-prover canary`: the known-answer canary as a standalone command, so any
// fleet (this prover's, rapidsnark's, icicle's) can run it from a Kubernetes Job or
// CronJob or a systemd timer and act on its exit status and JSON report.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "canary/canary.h"
#include "canary/command.h"
#include "cuda/backend.h"
#include "util/cli_args.h"
#include "util/error.h"

namespace pw {
namespace canary {
namespace {

const char* kUsage =
    "usage: proofwatch-prover canary [--device N] [--memory-share R] [--json] [--threads N]\n"
    "\n"
    "Known-answer canary: runs the prover's own GPU kernels (G1 and G2 MSMs at window sizes 5 to 13,\n"
    "both reduction levels; NTT forward and round trip at 2^10 and 2^16) on fixed inputs, compares each\n"
    "result with the CPU backend's, then writes two patterns over a share of the GPU's free memory and\n"
    "reads them back. Run it before a GPU is given work, and on a timer.\n"
    "\n"
    "options:\n"
    "  --device N           GPU index (default 0)\n"
    "  --memory-share R     share of the free device memory the memory pass covers, 0 to 0.95\n"
    "                       (default 0.5; 0 skips the pass)\n"
    "  --json               print the report as one JSON object (contracts/canary-report.ts)\n"
    "  --threads N          CPU threads for the known answers (default: all cores)\n"
    "  --backend cuda       the GPU (default); cuda-emu: the same kernels on the CPU grid emulator (tests)\n"
    "  --inject-fault KIND  cuda-emu only: g1_msm | g2_msm | ntt | memory flips one bit of that result\n"
    "  -h, --help           this text\n"
    "\n"
    "exit codes: 0 every check passed, 1 a check failed (the report and stderr name it) or an\n"
    "            internal error, 2 usage, 8 no usable CUDA device\n";

double parse_share(const std::string& v) {
  char* end = nullptr;
  const double r = std::strtod(v.c_str(), &end);
  if (v.empty() || end == nullptr || *end != '\0' || !(r >= 0 && r <= 0.95))
    fail(kExitUsage, "--memory-share expects a number from 0 to 0.95, got '" + v + "'");
  return r;
}

}  // namespace

int command(int argc, char** argv) {
  std::string backend = "cuda", fault_name;
  int device = 0;
  unsigned threads = 0;
  double share = 0.5;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(kExitUsage, "canary: " + a + " needs a value (see canary --help)");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--device") {
      const uint64_t d = parse_u64(a, value());
      if (d > 1023) fail(kExitUsage, "--device must be between 0 and 1023");
      device = (int)d;
    } else if (a == "--memory-share") {
      share = parse_share(value());
    } else if (a == "--json") {
      json = true;
    } else if (a == "--threads") {
      const uint64_t t = parse_u64(a, value());
      if (t == 0 || t > 1024) fail(kExitUsage, "--threads must be between 1 and 1024");
      threads = (unsigned)t;
    } else if (a == "--backend") {
      backend = value();
      if (backend != "cuda" && backend != "cuda-emu") fail(kExitUsage, "canary: --backend must be cuda or cuda-emu");
    } else if (a == "--inject-fault") {
      fault_name = value();
    } else {
      fail(kExitUsage, "canary: unexpected argument " + a + " (see canary --help)");
    }
  }
  Fault fault = Fault::kNone;
  if (!fault_name.empty()) {
    if (!parse_fault(fault_name, &fault)) fail(kExitUsage, "--inject-fault must be g1_msm, g2_msm, ntt or memory");
    if (backend != "cuda-emu") fail(kExitUsage, "--inject-fault is for the emulator only (--backend cuda-emu)");
  }
  if (backend == "cuda") {
    // No device: say so (exit 8) before spending CPU time on the answers.
    std::string why;
    const int count = cuda_device_count(&why);
    if (count == 0) fail(kExitNoBackend, "CUDA backend: no usable device (" + why + ")");
    if (device >= count)
      fail(kExitNoBackend, "CUDA backend: --device " + std::to_string(device) + " but only " + std::to_string(count) +
                               " device(s) present");
  }

  ThreadPool pool(threads);
  const auto t0 = std::chrono::steady_clock::now();
  const KnownAnswers answers = make_known_answers(pool);
  const double answers_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Report report = backend == "cuda" ? run_cuda(device, share, answers) : run_emulated(share, fault, answers, pool);
  report.answers_seconds = answers_seconds;

  std::fputs((json ? report_json(report) : report_text(report)).c_str(), stdout);
  std::fflush(stdout);
  if (report.passed()) return kExitOk;
  std::string names;
  for (const std::string& n : report.failed()) names += (names.empty() ? "" : ", ") + n;
  std::fprintf(stderr, "proofwatch-prover: canary failed on device %d: %s\n", device, names.c_str());
  return kExitInternal;
}

}  // namespace canary
}  // namespace pw
