// Compile-only check that the field, curve, MSM and NTT bodies build as device code
// (nvcc, no GPU needed): cmake -DPROOFWATCH_PROVER_DEVICE_CHECK=ON. The CUDA backend
// issue replaces this with real launchers; until then it keeps the host code honest.
#include "bn254/ec/curve.h"
#include "bn254/msm/pippenger.h"
#include "ntt/ntt.h"
using namespace pw;
__global__ void k_field(Fr* a, const Fr* b, Fq2* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) { a[i] = a[i] * b[i] + b[i] - a[i].sqr(); c[i] = c[i] * c[i].inverse(); }
}
__global__ void k_msm(G1::Acc* buckets, const int32_t* digits, const G1::Aff* bases, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) bucket_add<G1>(buckets, digits[i], bases[i]);
  if (i == 0) buckets[0] = bucket_reduce<G1>(buckets, 4);
}
__global__ void k_g2(G2::Acc* out, const G2::Aff* p, const Scalar* s, int32_t* d) {
  out[0] = scalar_mul(G2::Acc::from_affine(p[0]), s[0].l);
  recode_signed(s[0], 13, msm_windows(13), d, 1);
  bool ok = on_curve<G2>(p[0]) && on_curve<G1>(G1::generator());
  if (!ok) out[0] = G2::Acc::infinity();
}
__global__ void k_ntt(Fr* a, const Fr* tw, int log_half, int log_n) {
  ntt_butterfly(a, tw, blockIdx.x * blockDim.x + threadIdx.x, log_half, log_n);
  if (threadIdx.x == 0) a[0] = root_of_unity(log_n);
}
