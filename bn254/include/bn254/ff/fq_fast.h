// Fq addition, subtraction and Montgomery multiplication for the pairing's hot loops, on
// the prover's Fq representation (same limbs, same Montgomery form, bit-identical results).
// On x86-64 sums are written in plain assembly (about 20 instructions) and products in
// MULX/ADX assembly where the CPU has it (about 110 instructions, and 2-3x faster than
// ff/field.h's), chosen at run time. Elsewhere they fall back to the ff/field.h operators.
// The pairing self-test checks every route against ff/field.h.
#pragma once
#include "bn254/ff/bn254.h"

#if defined(__x86_64__) && !defined(__CUDACC__)
#define PW_FAST_FQ 1
#endif

// Inlined into every caller: as out-of-line calls the operands go through memory, which
// costs more than the arithmetic saves.
#if defined(__GNUC__)
#define PW_FAST_INLINE inline __attribute__((always_inline))
#else
#define PW_FAST_INLINE inline
#endif

namespace pw::fast {

#if PW_FAST_FQ
using u64 = unsigned long long;
constexpr u64 kM[4] = {FqParams::M0, FqParams::M1, FqParams::M2, FqParams::M3};

// a + b and a - b in plain x86-64 assembly (add/adc, sub/sbb, cmov: no extension needed).
// With intrinsics g++ 12 routes the final selection through SSE registers, about 55
// instructions against these 20; sums are as frequent as products in the tower.
PW_FAST_INLINE Fq add(const Fq& a, const Fq& b) {
  u64 r0 = a.l[0], r1 = a.l[1], r2 = a.l[2], r3 = a.l[3], t0, t1, t2, t3;
  __asm__(
      "addq %[b0], %[r0]\n\t"
      "adcq %[b1], %[r1]\n\t"
      "adcq %[b2], %[r2]\n\t"
      "adcq %[b3], %[r3]\n\t"  // no carry out: q < 2^254
      "movq %[r0], %[t0]\n\t"
      "movq %[r1], %[t1]\n\t"
      "movq %[r2], %[t2]\n\t"
      "movq %[r3], %[t3]\n\t"
      "subq %[q0], %[t0]\n\t"
      "sbbq %[q1], %[t1]\n\t"
      "sbbq %[q2], %[t2]\n\t"
      "sbbq %[q3], %[t3]\n\t"
      "cmovncq %[t0], %[r0]\n\t"  // no borrow: the sum was >= q
      "cmovncq %[t1], %[r1]\n\t"
      "cmovncq %[t2], %[r2]\n\t"
      "cmovncq %[t3], %[r3]\n\t"
      : [r0] "+&r"(r0), [r1] "+&r"(r1), [r2] "+&r"(r2), [r3] "+&r"(r3), [t0] "=&r"(t0), [t1] "=&r"(t1),
        [t2] "=&r"(t2), [t3] "=&r"(t3)
      : [b0] "rm"(b.l[0]), [b1] "rm"(b.l[1]), [b2] "rm"(b.l[2]), [b3] "rm"(b.l[3]), [q0] "m"(kM[0]),
        [q1] "m"(kM[1]), [q2] "m"(kM[2]), [q3] "m"(kM[3])
      : "cc");
  return Fq{{r0, r1, r2, r3}};
}

// a + b without the reduction, below 2q < 2^255: only as an operand of mul(), whose
// product stays correct for operands below 2^255 (each CIOS round keeps T below 2^320 and
// the result below (4q^2 + q 2^256) / 2^256 < 2q, so one final subtraction still suffices).
PW_FAST_INLINE Fq add_unreduced(const Fq& a, const Fq& b) {
  u64 r0 = a.l[0], r1 = a.l[1], r2 = a.l[2], r3 = a.l[3];
  __asm__(
      "addq %[b0], %[r0]\n\t"
      "adcq %[b1], %[r1]\n\t"
      "adcq %[b2], %[r2]\n\t"
      "adcq %[b3], %[r3]\n\t"
      : [r0] "+&r"(r0), [r1] "+&r"(r1), [r2] "+&r"(r2), [r3] "+&r"(r3)
      : [b0] "rm"(b.l[0]), [b1] "rm"(b.l[1]), [b2] "rm"(b.l[2]), [b3] "rm"(b.l[3])
      : "cc");
  return Fq{{r0, r1, r2, r3}};
}

PW_FAST_INLINE Fq sub(const Fq& a, const Fq& b) {
  u64 r0 = a.l[0], r1 = a.l[1], r2 = a.l[2], r3 = a.l[3], t0, t1, t2, t3, m;
  __asm__(
      "subq %[b0], %[r0]\n\t"
      "sbbq %[b1], %[r1]\n\t"
      "sbbq %[b2], %[r2]\n\t"
      "sbbq %[b3], %[r3]\n\t"
      "sbbq %[m], %[m]\n\t"  // all ones after a borrow: add q back
      "movq %[q0], %[t0]\n\t"
      "movq %[q1], %[t1]\n\t"
      "movq %[q2], %[t2]\n\t"
      "movq %[q3], %[t3]\n\t"
      "andq %[m], %[t0]\n\t"
      "andq %[m], %[t1]\n\t"
      "andq %[m], %[t2]\n\t"
      "andq %[m], %[t3]\n\t"
      "addq %[t0], %[r0]\n\t"
      "adcq %[t1], %[r1]\n\t"
      "adcq %[t2], %[r2]\n\t"
      "adcq %[t3], %[r3]\n\t"
      : [r0] "+&r"(r0), [r1] "+&r"(r1), [r2] "+&r"(r2), [r3] "+&r"(r3), [t0] "=&r"(t0), [t1] "=&r"(t1),
        [t2] "=&r"(t2), [t3] "=&r"(t3), [m] "=&r"(m)
      : [b0] "rm"(b.l[0]), [b1] "rm"(b.l[1]), [b2] "rm"(b.l[2]), [b3] "rm"(b.l[3]), [q0] "m"(kM[0]),
        [q1] "m"(kM[1]), [q2] "m"(kM[2]), [q3] "m"(kM[3])
      : "cc");
  return Fq{{r0, r1, r2, r3}};
}

// BMI2 (MULX) and ADX (ADCX/ADOX: two independent carry chains) since Broadwell and Zen.
// Checked once at load time with CPUID, so one build runs everywhere; the branch on it in
// mul() is always predicted.
inline bool cpu_has_mulx_adx() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
  if (a < 7) return false;
  __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
  return ((b >> 8) & 1) && ((b >> 19) & 1);  // EBX bit 8 BMI2, bit 19 ADX
}
#if defined(PW_ASSUME_MULX_ADX)  // valgrind hides ADX from CPUID but runs it: for profiling
inline const bool kMulxAdx = true;
#else
inline const bool kMulxAdx = cpu_has_mulx_adx();
#endif
constexpr u64 kInv = FqParams::INV;

// One CIOS round on the five-limb window T0..T4 (T4 free on entry): PW_MONT_ROW adds
// a * b[i] with the low halves on the OF chain and the high halves on the CF chain, then
// PW_MONT_REDUCE adds m q for m = T0 * INV, which clears T0; the window then moves up a limb
// (the caller rotates the register names instead of moving values). No carry leaves T4:
// T < 2q + q 2^64 + q 2^64.
#define PW_MONT_ROW(B, T0, T1, T2, T3, T4)                                                    \
  "movq " B "(%[b]), %%rdx\n\t"                                                              \
  "xorl %k[z], %k[z]\n\t"                                                                    \
  "mulxq 0(%[a]), %[lo], %[hi]\n\t"                                                          \
  "adoxq %[lo], %[" T0 "]\n\t"                                                               \
  "adcxq %[hi], %[" T1 "]\n\t"                                                               \
  "mulxq 8(%[a]), %[lo], %[hi]\n\t"                                                          \
  "adoxq %[lo], %[" T1 "]\n\t"                                                               \
  "adcxq %[hi], %[" T2 "]\n\t"                                                               \
  "mulxq 16(%[a]), %[lo], %[hi]\n\t"                                                         \
  "adoxq %[lo], %[" T2 "]\n\t"                                                               \
  "adcxq %[hi], %[" T3 "]\n\t"                                                               \
  "mulxq 24(%[a]), %[lo], %[" T4 "]\n\t"                                                     \
  "adoxq %[lo], %[" T3 "]\n\t"                                                               \
  "adcxq %[z], %[" T4 "]\n\t"                                                                \
  "adoxq %[z], %[" T4 "]\n\t"
#define PW_MONT_REDUCE(T0, T1, T2, T3, T4)                                                    \
  "movq %[" T0 "], %%rdx\n\t"                                                                \
  "imulq %[inv], %%rdx\n\t"                                                                  \
  "xorl %k[z], %k[z]\n\t"                                                                    \
  "mulxq %[q0], %[lo], %[hi]\n\t"                                                            \
  "adoxq %[lo], %[" T0 "]\n\t"                                                               \
  "adcxq %[hi], %[" T1 "]\n\t"                                                               \
  "mulxq %[q1], %[lo], %[hi]\n\t"                                                            \
  "adoxq %[lo], %[" T1 "]\n\t"                                                               \
  "adcxq %[hi], %[" T2 "]\n\t"                                                               \
  "mulxq %[q2], %[lo], %[hi]\n\t"                                                            \
  "adoxq %[lo], %[" T2 "]\n\t"                                                               \
  "adcxq %[hi], %[" T3 "]\n\t"                                                               \
  "mulxq %[q3], %[lo], %[hi]\n\t"                                                            \
  "adoxq %[lo], %[" T3 "]\n\t"                                                               \
  "adcxq %[hi], %[" T4 "]\n\t"                                                               \
  "adoxq %[z], %[" T4 "]\n\t"

// The result (r4, r0, r1, r2) of a product below 2q: subtract q unless that borrows,
// with lo, hi, z and r3 as scratch.
#define PW_SUBTRACT_Q_UNLESS_BORROW \
  "movq %[r4], %[lo]\n\t"         \
  "subq %[q0], %[lo]\n\t"         \
  "movq %[r0], %[hi]\n\t"         \
  "sbbq %[q1], %[hi]\n\t"         \
  "movq %[r1], %[z]\n\t"          \
  "sbbq %[q2], %[z]\n\t"          \
  "movq %[r2], %[r3]\n\t"         \
  "sbbq %[q3], %[r3]\n\t"         \
  "cmovncq %[lo], %[r4]\n\t"      \
  "cmovncq %[hi], %[r0]\n\t"      \
  "cmovncq %[z], %[r1]\n\t"       \
  "cmovncq %[r3], %[r2]\n\t"

// The same product with MULX/ADX: about 120 instructions.
PW_FAST_INLINE Fq mul_mulx(const Fq& a, const Fq& b) {
  u64 r0, r1, r2, r3, r4, lo, hi, z, dx;
  __asm__(
      // First row: the window is empty, so a * b[0] goes in with one plain carry chain.
      "movq 0(%[b]), %%rdx\n\t"
      "mulxq 0(%[a]), %[r0], %[r1]\n\t"
      "mulxq 8(%[a]), %[lo], %[r2]\n\t"
      "addq %[lo], %[r1]\n\t"
      "mulxq 16(%[a]), %[lo], %[r3]\n\t"
      "adcq %[lo], %[r2]\n\t"
      "mulxq 24(%[a]), %[lo], %[r4]\n\t"
      "adcq %[lo], %[r3]\n\t"
      "adcq $0, %[r4]\n\t"
      PW_MONT_REDUCE("r0", "r1", "r2", "r3", "r4")
      PW_MONT_ROW("8", "r1", "r2", "r3", "r4", "r0")
      PW_MONT_REDUCE("r1", "r2", "r3", "r4", "r0")
      PW_MONT_ROW("16", "r2", "r3", "r4", "r0", "r1")
      PW_MONT_REDUCE("r2", "r3", "r4", "r0", "r1")
      PW_MONT_ROW("24", "r3", "r4", "r0", "r1", "r2")
      PW_MONT_REDUCE("r3", "r4", "r0", "r1", "r2")
      PW_SUBTRACT_Q_UNLESS_BORROW
      : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3), [r4] "=&r"(r4),
        [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z), "=&d"(dx)
      : [a] "r"(a.l), [b] "r"(b.l), "m"(a.l), "m"(b.l),
        [inv] "m"(kInv), [q0] "m"(kM[0]), [q1] "m"(kM[1]), [q2] "m"(kM[2]), [q3] "m"(kM[3])
      : "cc");
  return Fq{{r4, r0, r1, r2}};
}

// Rows of a * y[i] (X = "a") or c * y[i] (X = "c") with the limbs as memory operands; the
// _ACC form adds into a window whose top limb T4 is already in use. Both start with the
// same three limb products (PW_DOT_ROW_LOW) and differ only in the top one.
#define PW_DOT_ROW_LOW(Y, X, T0, T1, T2, T3)                                                  \
  "movq %[" Y "], %%rdx\n\t"                                                                 \
  "xorl %k[z], %k[z]\n\t"                                                                    \
  "mulxq %[" X "0], %[lo], %[hi]\n\t"                                                        \
  "adoxq %[lo], %[" T0 "]\n\t"                                                               \
  "adcxq %[hi], %[" T1 "]\n\t"                                                               \
  "mulxq %[" X "1], %[lo], %[hi]\n\t"                                                        \
  "adoxq %[lo], %[" T1 "]\n\t"                                                               \
  "adcxq %[hi], %[" T2 "]\n\t"                                                               \
  "mulxq %[" X "2], %[lo], %[hi]\n\t"                                                        \
  "adoxq %[lo], %[" T2 "]\n\t"                                                               \
  "adcxq %[hi], %[" T3 "]\n\t"
#define PW_DOT_ROW(Y, X, T0, T1, T2, T3, T4)                                                  \
  PW_DOT_ROW_LOW(Y, X, T0, T1, T2, T3)                                                       \
  "mulxq %[" X "3], %[lo], %[" T4 "]\n\t"                                                    \
  "adoxq %[lo], %[" T3 "]\n\t"                                                               \
  "adcxq %[z], %[" T4 "]\n\t"                                                                \
  "adoxq %[z], %[" T4 "]\n\t"
#define PW_DOT_ROW_ACC(Y, X, T0, T1, T2, T3, T4)                                              \
  PW_DOT_ROW_LOW(Y, X, T0, T1, T2, T3)                                                       \
  "mulxq %[" X "3], %[lo], %[hi]\n\t"                                                        \
  "adoxq %[lo], %[" T3 "]\n\t"                                                               \
  "adcxq %[hi], %[" T4 "]\n\t"                                                               \
  "adoxq %[z], %[" T4 "]\n\t"

// (a b + c d) / R mod q with one Montgomery reduction for both products: the F2 product
// needs two of these (c0 = a0 b0 + (q - a1) b1, c1 = a0 b1 + a1 b0) against three products
// and five sums for Karatsuba. Operands below q (q itself allowed): each round adds two
// rows and m q to T < 2^256, below 2^256 + 3 q 2^64 < 2^320, and the result is below
// (2 q^2 + q 2^256) / 2^256 < 2q.
PW_FAST_INLINE Fq mul2_mulx(const Fq& a, const Fq& b, const Fq& c, const Fq& d) {
  u64 r0, r1, r2, r3, r4, lo, hi, z, dx;
  __asm__(
      "movq %[b0], %%rdx\n\t"
      "mulxq %[a0], %[r0], %[r1]\n\t"
      "mulxq %[a1], %[lo], %[r2]\n\t"
      "addq %[lo], %[r1]\n\t"
      "mulxq %[a2], %[lo], %[r3]\n\t"
      "adcq %[lo], %[r2]\n\t"
      "mulxq %[a3], %[lo], %[r4]\n\t"
      "adcq %[lo], %[r3]\n\t"
      "adcq $0, %[r4]\n\t"
      PW_DOT_ROW_ACC("d0", "c", "r0", "r1", "r2", "r3", "r4")
      PW_MONT_REDUCE("r0", "r1", "r2", "r3", "r4")
      PW_DOT_ROW("b1", "a", "r1", "r2", "r3", "r4", "r0")
      PW_DOT_ROW_ACC("d1", "c", "r1", "r2", "r3", "r4", "r0")
      PW_MONT_REDUCE("r1", "r2", "r3", "r4", "r0")
      PW_DOT_ROW("b2", "a", "r2", "r3", "r4", "r0", "r1")
      PW_DOT_ROW_ACC("d2", "c", "r2", "r3", "r4", "r0", "r1")
      PW_MONT_REDUCE("r2", "r3", "r4", "r0", "r1")
      PW_DOT_ROW("b3", "a", "r3", "r4", "r0", "r1", "r2")
      PW_DOT_ROW_ACC("d3", "c", "r3", "r4", "r0", "r1", "r2")
      PW_MONT_REDUCE("r3", "r4", "r0", "r1", "r2")
      PW_SUBTRACT_Q_UNLESS_BORROW
      : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3), [r4] "=&r"(r4),
        [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z), "=&d"(dx)
      : [a0] "m"(a.l[0]), [a1] "m"(a.l[1]), [a2] "m"(a.l[2]), [a3] "m"(a.l[3]), [b0] "m"(b.l[0]),
        [b1] "m"(b.l[1]), [b2] "m"(b.l[2]), [b3] "m"(b.l[3]), [c0] "m"(c.l[0]), [c1] "m"(c.l[1]),
        [c2] "m"(c.l[2]), [c3] "m"(c.l[3]), [d0] "m"(d.l[0]), [d1] "m"(d.l[1]), [d2] "m"(d.l[2]),
        [d3] "m"(d.l[3]), [inv] "m"(kInv), [q0] "m"(kM[0]), [q1] "m"(kM[1]), [q2] "m"(kM[2]),
        [q3] "m"(kM[3])
      : "cc");
  return Fq{{r4, r0, r1, r2}};
}
#undef PW_DOT_ROW
#undef PW_SUBTRACT_Q_UNLESS_BORROW
#undef PW_DOT_ROW_ACC
#undef PW_DOT_ROW_LOW
#undef PW_MONT_ROW
#undef PW_MONT_REDUCE

PW_FAST_INLINE Fq mul(const Fq& a, const Fq& b) {
  if (__builtin_expect(kMulxAdx, 1)) return mul_mulx(a, b);
  // ff/field.h's product: the same CIOS rounds, correct for the same operands below 2^255.
  return a * b;
}
#else
PW_FAST_INLINE Fq add(const Fq& a, const Fq& b) { return a + b; }
PW_FAST_INLINE Fq add_unreduced(const Fq& a, const Fq& b) { return a + b; }
PW_FAST_INLINE Fq sub(const Fq& a, const Fq& b) { return a - b; }
PW_FAST_INLINE Fq mul(const Fq& a, const Fq& b) { return a * b; }
#endif

PW_FAST_INLINE Fq dbl(const Fq& a) { return add(a, a); }
PW_FAST_INLINE Fq neg(const Fq& a) { return sub(Fq::zero(), a); }

// Fermat inverse a^(q-2) on the fast product (a verification makes two: vk_x to affine and
// the final exponentiation's); the inverse of zero is zero, as in ff/field.h.
inline Fq inverse(const Fq& a) {
  const uint64_t e[4] = {FqParams::M0 - 2, FqParams::M1, FqParams::M2, FqParams::M3};
  Fq r = Fq::one();
  for (int i = 3; i >= 0; --i) {
    for (int b = 63; b >= 0; --b) {
      r = mul(r, r);
      if ((e[i] >> b) & 1) r = mul(r, a);
    }
  }
  return r;
}

}  // namespace pw::fast
