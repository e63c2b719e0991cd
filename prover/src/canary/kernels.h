// Per-thread bodies of the canary's own kernels (the memory pass and the fault hook),
// written once for nvcc and the grid emulator like cuda/kernels.h. The compute checks
// need none: they run the prover's own MSM and NTT launches unchanged.
#pragma once
#include <cstddef>
#include <cstdint>

#include "bn254/util/host_device.h"

namespace pw {
namespace canary {

// The word expected at global word index i of the memory pass: a hash of the index, so
// a word written to or read from the wrong address is caught, not only a stuck bit;
// mask ~0 (the second pass) makes every bit take its other value.
PW_HOST_DEVICE inline uint64_t memory_pattern(uint64_t i, uint64_t mask) {
  uint64_t x = i * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return x ^ mask;
}

// Thread t writes words t, t + stride, ... of one buffer (coalesced on a GPU).
struct FillPattern {
  uint64_t* words;
  size_t n, stride;
  uint64_t first_index, mask;
  PW_HOST_DEVICE void operator()(size_t t) const {
    for (size_t i = t; i < n; i += stride) words[i] = memory_pattern(first_index + i, mask);
  }
};

// Thread t reads back the same words: bad[t] = how many differ, first[t] = the lowest
// differing index (n when none), so no atomics are needed and the host sums.
struct CheckPattern {
  const uint64_t* words;
  size_t n, stride;
  uint64_t first_index, mask;
  uint64_t* bad;
  uint64_t* first;
  PW_HOST_DEVICE void operator()(size_t t) const {
    uint64_t count = 0, lowest = n;
    for (size_t i = t; i < n; i += stride) {
      if (words[i] != memory_pattern(first_index + i, mask)) {
        if (count == 0) lowest = i;
        ++count;
      }
    }
    bad[t] = count;
    first[t] = lowest;
  }
};

// Fault injection (emulator only, see canary.h): flips bit 0 of one 64-bit word of
// executor memory, as a faulty kernel or a failing memory cell would.
struct FlipWordBit {
  uint64_t* words;
  size_t at;
  PW_HOST_DEVICE void operator()(size_t) const { words[at] ^= 1; }
};

}  // namespace canary
}  // namespace pw
