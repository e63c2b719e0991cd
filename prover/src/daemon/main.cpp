// proofwatch-prover-daemon: loads one zkey once and proves many witnesses, one JSON request
// per line on stdin, one JSON answer per line on stdout (protocol in docs/prover-service.md).
// It is the prover service's child process: a crash here (or a kill on cancel) costs one
// job, never the service. Policy (retries, quarantine, which GPU) stays in TypeScript.
//
//   proofwatch-prover-daemon --zkey FILE [--backend cpu|cuda|auto] [--device N] [--threads N]
//                            [--trust-zkey]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unistd.h>

#include "cuda/backend.h"
#include "groth16/backend_choice.h"
#include "groth16/prover.h"
#include "io/proof_json.h"
#include "util/error.h"

using namespace pw;
using json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

const char* kUsage =
    "usage: proofwatch-prover-daemon --zkey FILE [--backend cpu|cuda|auto] [--device N] [--threads N]\n"
    "                                [--trust-zkey]\n"
    "\n"
    "Loads a Groth16 zkey once, then reads one JSON request per line on stdin:\n"
    "  {\"id\": \"...\", \"witness\": \"w.wtns\", \"proof\": \"proof.json\", \"public\": \"public.json\",\n"
    "   \"injectFault\"?: \"h-bitflip\"|\"a-bitflip\"|\"c-bitflip\", \"seed\"?: N, \"stallMs\"?: N}\n"
    "and answers one JSON line on stdout: {\"id\", \"ok\": true, \"timings\": {...}} or\n"
    "{\"id\", \"ok\": false, \"code\": N, \"error\": \"...\"} (codes as proofwatch-prover's exit codes).\n"
    "The first line on stdout says {\"ready\": true, ...} once the zkey is loaded, or\n"
    "{\"ready\": false, \"code\": N, \"error\": \"...\"} before exiting with that code.\n";

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

void emit(const json& line) {
  // One line each, flushed: the service reads answers as they come. dump() escapes non-UTF-8
  // bytes instead of throwing, so an odd path in an error message cannot kill the daemon.
  std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

[[noreturn]] void refuse(int code, const std::string& msg) {
  emit({{"ready", false}, {"code", code}, {"error", msg}});
  std::fprintf(stderr, "proofwatch-prover-daemon: %s\n", msg.c_str());
  std::exit(code);
}

uint64_t parse_u64(const std::string& opt, const std::string& v) {
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
    refuse(kExitUsage, opt + " expects a non-negative integer, got '" + v + "'");
  return std::strtoull(v.c_str(), nullptr, 10);
}

struct Options {
  std::string zkey, backend = "auto";
  uint64_t device = 0;
  unsigned threads = 0;
  bool trust = false;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) refuse(kExitUsage, a + " needs a value (see --help)");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--zkey") {
      o.zkey = value();
    } else if (a == "--backend") {
      o.backend = value();
    } else if (a == "--device") {
      o.device = parse_u64(a, value());
    } else if (a == "--threads") {
      uint64_t t = parse_u64(a, value());
      if (t == 0 || t > 1024) refuse(kExitUsage, "--threads must be between 1 and 1024");
      o.threads = (unsigned)t;
    } else if (a == "--trust-zkey") {
      o.trust = true;
    } else {
      refuse(kExitUsage, "unknown argument " + a + " (see --help)");
    }
  }
  if (o.zkey.empty()) refuse(kExitUsage, "--zkey is required (see --help)");
  if (o.backend != "cpu" && o.backend != "cuda" && o.backend != "auto")
    refuse(kExitUsage, "--backend must be cpu, cuda or auto");
  return o;
}

// A request that cannot be run as asked: answered with code 2, the daemon keeps going.
struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string required_string(const json& req, const char* key) {
  auto it = req.find(key);
  if (it == req.end() || !it->is_string() || it->get<std::string>().empty())
    throw BadRequest(std::string("\"") + key + "\" must be a non-empty string");
  return it->get<std::string>();
}

ProveOptions prove_options(const json& req) {
  ProveOptions opt;
  if (auto it = req.find("injectFault"); it != req.end() && !it->is_null()) {
    std::string f = it->is_string() ? it->get<std::string>() : "";
    if (f == "h-bitflip") {
      opt.fault = Fault::kHBitflip;
    } else if (f == "a-bitflip") {
      opt.fault = Fault::kABitflip;
    } else if (f == "c-bitflip") {
      opt.fault = Fault::kCBitflip;
    } else {
      throw BadRequest("\"injectFault\" must be h-bitflip, a-bitflip or c-bitflip");
    }
  }
  if (auto it = req.find("seed"); it != req.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) throw BadRequest("\"seed\" must be a non-negative integer");
    opt.seeded = true;
    opt.seed = it->get<uint64_t>();
  }
  return opt;
}

// Proves one request; throws ProverError / BadRequest / std exceptions for the caller to map.
json prove_one(const Groth16Prover& prover, const json& req, const std::string& backend) {
  std::string witness = required_string(req, "witness");
  std::string proof_path = required_string(req, "proof");
  std::string public_path = required_string(req, "public");
  ProveOptions opt = prove_options(req);
  // Fault injection: a stalled or throttled GPU, before any work (capped at ten minutes).
  if (auto it = req.find("stallMs"); it != req.end() && !it->is_null()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() > 600000)
      throw BadRequest("\"stallMs\" must be an integer in [0, 600000]");
    std::this_thread::sleep_for(std::chrono::milliseconds(it->get<uint64_t>()));
  }
  Timings timings;
  opt.timings = &timings;

  auto t0 = Clock::now();
  Witness w = load_wtns(witness);
  auto t1 = Clock::now();
  Proof proof = prover.prove(w.values, opt);
  auto t2 = Clock::now();
  write_text_file(proof_path, proof_to_json(proof));
  write_text_file(public_path, public_to_json(proof));
  auto t3 = Clock::now();

  // Keys in execution order; the service groups them into its metric phases.
  json t = json::object();
  t["load"] = seconds(t0, t1);
  for (auto& [name, s] : timings) t[name] = s;
  t["write"] = seconds(t2, t3);
  t["total"] = seconds(t0, t3);
  return {{"ok", true}, {"backend", backend}, {"deviceBytes", device_bytes(timings)}, {"timings", t}};
}

json answer(const Groth16Prover& prover, const std::string& line, const std::string& backend) {
  json id = nullptr;
  try {
    json req = json::parse(line);
    if (!req.is_object()) throw BadRequest("request must be a JSON object");
    if (auto it = req.find("id"); it != req.end()) id = *it;
    json out = prove_one(prover, req, backend);
    out["id"] = id;
    return out;
  } catch (const json::exception& e) {
    return {{"id", id}, {"ok", false}, {"code", (int)kExitUsage}, {"error", std::string("bad request: ") + e.what()}};
  } catch (const BadRequest& e) {
    return {{"id", id}, {"ok", false}, {"code", (int)kExitUsage}, {"error", e.what()}};
  } catch (const ProverError& e) {
    return {{"id", id}, {"ok", false}, {"code", e.code}, {"error", e.what()}};
  } catch (const std::bad_alloc&) {
    return {{"id", id}, {"ok", false}, {"code", (int)kExitInternal}, {"error", "out of memory"}};
  } catch (const std::exception& e) {
    return {{"id", id}, {"ok", false}, {"code", (int)kExitInternal}, {"error", std::string("internal error: ") + e.what()}};
  }
}

int run(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  auto t0 = Clock::now();
  std::unique_ptr<Groth16Prover> prover;
  try {
    // The same choice as the CLI's: auto means CUDA where device N is usable, else the CPU.
    prover = make_prover(o.zkey, std::make_shared<ThreadPool>(o.threads), !o.trust, o.backend, o.device);
  } catch (const ProverError& e) {
    refuse(e.code, e.what());
  } catch (const std::bad_alloc&) {
    refuse(kExitInternal, "out of memory loading the zkey");
  }
  const std::string backend = prover->backend() == Backend::kCpu ? "cpu" : "cuda";
  const Zkey& z = prover->zkey();
  // null where there is none: a CPU-only build, or no driver.
  const CudaVersions cuda = cuda_versions();
  auto version_or_null = [](int encoded) { return encoded > 0 ? json(cuda_version_string(encoded)) : json(); };
  emit({{"ready", true},
        {"pid", (long)getpid()},
        {"backend", backend},
        {"device", o.device},
        {"nVars", z.n_vars},
        {"nPublic", z.n_public},
        {"domainSize", z.domain_size},
        {"loadSeconds", seconds(t0, Clock::now())},
        {"cudaRuntime", version_or_null(cuda.runtime)},
        {"cudaDriver", version_or_null(cuda.driver)}});

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    emit(answer(*prover, line, backend));
  }
  return 0;  // stdin closed: the service is done with this daemon
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    refuse(kExitInternal, std::string("internal error: ") + e.what());
  } catch (...) {
    refuse(kExitInternal, "internal error");
  }
}
