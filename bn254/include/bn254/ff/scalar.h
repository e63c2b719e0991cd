// A scalar in normal form (not Montgomery), little-endian limbs: witness values as the
// .wtns file stores them, and the multipliers of the MSMs and scalar multiplications.
#pragma once
#include "bn254/util/host_device.h"

namespace pw {

struct Scalar {
  uint64_t l[4];
  PW_HOST_DEVICE bool is_zero() const { return (l[0] | l[1] | l[2] | l[3]) == 0; }
  PW_HOST_DEVICE bool is_one() const { return l[0] == 1 && (l[1] | l[2] | l[3]) == 0; }
};

}  // namespace pw
