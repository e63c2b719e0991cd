// Which host backend the field arithmetic of Fp<P> (field.h) runs on.
//
// On x86-64 host code with BMI2 and ADX (checked at run time, once, from CPUID, so one
// build runs on every x86-64-v2 machine) the products and squares are MULX/ADX assembly
// (x86_64_asm.h). Sums and differences are adc/sbb assembly on every x86-64 host: they
// need nothing beyond x86-64, and a run-time branch beside them measured slower. Elsewhere
// (other architectures, device code, any code nvcc compiles) the portable C++ of field.h
// runs. Both give bit-identical results; the tests run both.
//
// Forcing the portable backend:
//   - at run time, PROOFWATCH_FIELD_BACKEND=portable in the environment (read once, when
//     the program or addon loads): the portable products and squares;
//   - at build time, -DBN254_PORTABLE_FIELD, which leaves all the assembly out.
#pragma once
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && !defined(__CUDACC__) && !defined(BN254_PORTABLE_FIELD)
#define BN254_X86_ASM 1
#else
#define BN254_X86_ASM 0
#endif

namespace pw::field_backend {

#if BN254_X86_ASM
// BMI2 (MULX) is CPUID leaf 7 EBX bit 8, ADX bit 19.
inline bool cpu_has_mulx_adx() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
  if (a < 7) return false;
  __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
  return ((b >> 8) & 1) && ((b >> 19) & 1);
}

inline bool portable_requested() {
  const char* v = std::getenv("PROOFWATCH_FIELD_BACKEND");
  return v != nullptr && std::strcmp(v, "portable") == 0;
}

// Read by every product and square: a load and a branch that is always predicted. Until
// it is initialised (static initialisers elsewhere that run first) it reads false, the
// portable product, which gives the same results.
inline const bool kMulxAdx = cpu_has_mulx_adx() && !portable_requested();
#else
constexpr bool kMulxAdx = false;
#endif

// "mulx-adx" or "portable": what the products of this program run on.
inline const char* name() { return kMulxAdx ? "mulx-adx" : "portable"; }

}  // namespace pw::field_backend
