// SplitMix64: a tiny deterministic generator for seeded, reproducible values (the prover's
// --seed blinding, dev-setup's known toxic waste, test inputs). Not for secrets.
#pragma once
#include <cstdint>

namespace pw {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace pw
