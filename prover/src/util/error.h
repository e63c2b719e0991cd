// Host-side error with the CLI exit code it maps to (documented in prover/README.md).
#pragma once
#include <stdexcept>
#include <string>

namespace pw {

enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,
  kExitBadZkey = 3,
  kExitBadWitness = 4,
  kExitMismatch = 5,
  kExitOutput = 6,
  kExitBadR1cs = 7,
  kExitNoBackend = 8,
};

struct ProverError : std::runtime_error {
  int code;
  ProverError(int c, const std::string& msg) : std::runtime_error(msg), code(c) {}
};

}  // namespace pw
