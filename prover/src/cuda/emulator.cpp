#include "cuda/emulator.h"

namespace pw {
namespace gpu {

void counting_sort_pairs(const uint32_t* keys_in, const uint32_t* vals_in, uint32_t* keys_out, uint32_t* vals_out,
                         size_t n, int key_bits) {
  std::vector<uint32_t> ka(keys_in, keys_in + n), va(vals_in, vals_in + n), kb(n), vb(n);
  const uint32_t mask_all = key_bits >= 32 ? 0xffffffffu : ((1u << key_bits) - 1);
  for (int shift = 0; shift < key_bits; shift += 8) {
    size_t count[257] = {0};
    for (size_t i = 0; i < n; ++i) ++count[(((ka[i] & mask_all) >> shift) & 0xff) + 1];
    for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
    for (size_t i = 0; i < n; ++i) {
      const size_t at = count[((ka[i] & mask_all) >> shift) & 0xff]++;
      kb[at] = ka[i];
      vb[at] = va[i];
    }
    ka.swap(kb);
    va.swap(vb);
  }
  std::copy(ka.begin(), ka.end(), keys_out);
  std::copy(va.begin(), va.end(), vals_out);
}

}  // namespace gpu
}  // namespace pw
