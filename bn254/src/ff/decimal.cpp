#include "bn254/ff/decimal.h"

#include <algorithm>

namespace pw {

bool parse_decimal(const std::string& s, uint64_t out[4]) {
  if (s.empty() || s.size() > 80) return false;
  uint64_t v[4] = {0, 0, 0, 0};
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    uint64_t carry = (uint64_t)(ch - '0');
    for (int i = 0; i < 4; ++i) v[i] = mac(v[i], 10, 0, carry, carry);
    if (carry) return false;
  }
  for (int i = 0; i < 4; ++i) out[i] = v[i];
  return true;
}

std::string to_decimal(const uint64_t in[4]) {
  uint64_t v[4] = {in[0], in[1], in[2], in[3]};
  std::string out;
  const uint64_t base = 10000000000000000000ULL;  // 10^19
  while (v[0] | v[1] | v[2] | v[3]) {
    unsigned __int128 rem = 0;
    for (int i = 3; i >= 0; --i) {
      unsigned __int128 cur = (rem << 64) | v[i];
      v[i] = (uint64_t)(cur / base);
      rem = cur % base;
    }
    uint64_t chunk = (uint64_t)rem;
    bool more = v[0] | v[1] | v[2] | v[3];
    for (int d = 0; d < 19 && (more || chunk); ++d) {
      out.push_back((char)('0' + chunk % 10));
      chunk /= 10;
    }
  }
  if (out.empty()) out = "0";
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace pw
