// Host-only conversions between decimal strings and 256-bit limbs (JSON in and out).
#pragma once
#include <cstdint>
#include <string>

#include "bn254/ff/bn254.h"

namespace pw {

// Parses an unsigned decimal into limbs; false on junk or a value >= 2^256.
bool parse_decimal(const std::string& s, uint64_t out[4]);
std::string to_decimal(const uint64_t v[4]);

// Field element <-> decimal of its normal form. parse_* fail when the value is >= p.
template <class F>
bool parse_field(const std::string& s, F& out) {
  uint64_t v[4];
  if (!parse_decimal(s, v) || !F::is_canonical(v)) return false;
  out = F::from_normal(v);
  return true;
}
template <class F>
std::string field_to_decimal(const F& x) {
  uint64_t v[4];
  x.to_normal(v);
  return to_decimal(v);
}

}  // namespace pw
