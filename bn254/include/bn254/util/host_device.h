// Host/device portability: every field, curve and algorithm body in prover/src is
// written once and compiled by g++ for the CPU backend and by nvcc for the CUDA one.
#pragma once
#include <cstdint>

// x86-64 host code keeps carries in the flags register (adc/sbb chains) through the
// carry intrinsics; carries spelled as comparisons cost about twice the instructions.
// nvcc's device pass and other targets take the portable forms.
#if defined(__x86_64__) && !defined(__CUDA_ARCH__)
#include <x86intrin.h>
#define PW_X86_CARRY 1
#else
#define PW_X86_CARRY 0
#endif

#if defined(__CUDACC__)
#define PW_HOST_DEVICE __host__ __device__
#define PW_INLINE __forceinline__
#else
#define PW_HOST_DEVICE
#define PW_INLINE inline
#endif

// Forced inlining for the few leaf routines where call overhead dominates (limb
// arithmetic, field multiply). Used sparingly: forcing it on curve formulas as well
// multiplies compile time without speeding anything up.
#if defined(__CUDACC__)
#define PW_FORCE_INLINE __forceinline__
#else
#define PW_FORCE_INLINE inline __attribute__((always_inline))
#endif

// Out of line in device code, inline on the host: for the Fq2 product and square, which
// inlined into every G2 curve formula made the G2 MSM kernels too large for ptxas to
// compile in CI's time (minutes per target).
#if defined(__CUDA_ARCH__)
#define PW_DEVICE_CALL __noinline__
#else
#define PW_DEVICE_CALL inline
#endif

// Full unrolling of the fixed 4-limb loops (gcc -O3 leaves some of them rolled).
#if defined(__CUDACC__)
#define PW_UNROLL _Pragma("unroll")
#else
#define PW_UNROLL _Pragma("GCC unroll 8")
#endif

namespace pw {

// lo + carry_out*2^64 = a*b + c + carry_in. Never overflows: (2^64-1)^2 + 2(2^64-1) < 2^128.
PW_HOST_DEVICE PW_FORCE_INLINE uint64_t mac(uint64_t a, uint64_t b, uint64_t c, uint64_t carry_in,
                                      uint64_t& carry_out) {
#if defined(__CUDA_ARCH__)
  uint64_t lo = a * b;
  uint64_t hi = __umul64hi(a, b);
  lo += c;
  hi += (lo < c);
  lo += carry_in;
  hi += (lo < carry_in);
  carry_out = hi;
  return lo;
#else
  unsigned __int128 t = (unsigned __int128)a * b + c + carry_in;
  carry_out = (uint64_t)(t >> 64);
  return (uint64_t)t;
#endif
}

// Carries and borrows are 0 or 1.
PW_HOST_DEVICE PW_FORCE_INLINE uint64_t addc(uint64_t a, uint64_t b, uint64_t carry_in, uint64_t& carry_out) {
#if PW_X86_CARRY
  unsigned long long s;
  carry_out = _addcarry_u64((unsigned char)carry_in, a, b, &s);
  return s;
#else
  uint64_t s = a + b;
  uint64_t c1 = s < a;
  s += carry_in;
  carry_out = c1 | (s < carry_in);
  return s;
#endif
}

PW_HOST_DEVICE PW_FORCE_INLINE uint64_t subb(uint64_t a, uint64_t b, uint64_t borrow_in, uint64_t& borrow_out) {
#if PW_X86_CARRY
  unsigned long long d;
  borrow_out = _subborrow_u64((unsigned char)borrow_in, a, b, &d);
  return d;
#else
  uint64_t d = a - b;
  uint64_t b1 = a < b;
  uint64_t d2 = d - borrow_in;
  borrow_out = b1 | (d < borrow_in);
  return d2;
#endif
}

}  // namespace pw
