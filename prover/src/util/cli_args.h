// What proofwatch-prover's commands share on their command lines: how a refusal is printed
// and how a count is read. (The daemon answers on stdout as well, so it keeps its own.)
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "util/error.h"

namespace pw {

/** Prints "proofwatch-prover: MSG" on stderr and exits with `code`. */
[[noreturn]] inline void fail(int code, const std::string& msg) {
  std::fprintf(stderr, "proofwatch-prover: %s\n", msg.c_str());
  std::exit(code);
}

/** The decimal count `v` given to option `opt`; a usage failure naming both otherwise. */
inline uint64_t parse_u64(const std::string& opt, const std::string& v) {
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
    fail(kExitUsage, opt + " expects a non-negative integer, got '" + v + "'");
  return std::strtoull(v.c_str(), nullptr, 10);
}

}  // namespace pw
