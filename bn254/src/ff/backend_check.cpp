#include "bn254/ff/backend_check.h"

#include "bn254/ff/bn254.h"
#include "bn254/ff/wide.h"

namespace pw {
namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform below the modulus of F, with 0, 1 and p - 1 one time in eight each.
  template <class F>
  F element() {
    const uint64_t pick = next() % 8;
    if (pick == 0) return F::zero();
    if (pick == 1) return F::one();
    if (pick == 2) return -F::one();
    const F m = F::modulus();
    uint64_t v[4];
    do {
      for (int i = 0; i < 4; ++i) v[i] = next();
      v[3] &= (1ULL << 62) - 1;
    } while (!wide::less(v, m.l));
    return F::from_normal(v);
  }

 private:
  uint64_t s_;
};

// a + b without the reduction: below 2p < 2^255, an operand both products accept.
template <class F>
F unreduced_sum(const F& a, const F& b) {
  F s;
  F::add_raw(a.l, b.l, s.l);
  return s;
}

// The operators (whichever backend runs them) against the portable members.
template <class F>
bool operators_agree(Rng& rng, int rounds) {
  bool ok = true;
  for (int i = 0; i < rounds && ok; ++i) {
    const F a = rng.element<F>(), b = rng.element<F>(), c = rng.element<F>(), d = rng.element<F>();
    const F sa = unreduced_sum(a, b), sb = unreduced_sum(c, d);
    ok = a * b == a.mul_portable(b) && a.sqr() == a.sqr_portable() && a + b == a.add_portable(b) &&
         a - b == a.sub_portable(b) && b - a == b.sub_portable(a) && -a == F::zero().sub_portable(a) &&
         F::dot2(a, b, c, d) == F::dot2_portable(a, b, c, d) && F::dot2(a, a, b, b) == F::dot2_portable(a, a, b, b) &&
         sa * sb == sa.mul_portable(sb) && sa * c == sa.mul_portable(c) && sa.sqr() == sa.sqr_portable();
  }
  return ok;
}

bool fq2_agrees(Rng& rng, int rounds) {
  bool ok = true;
  for (int i = 0; i < rounds && ok; ++i) {
    const Fq2 x{rng.element<Fq>(), rng.element<Fq>()}, y{rng.element<Fq>(), rng.element<Fq>()};
    ok = x * y == x.mul_portable(y) && x.sqr() == x.mul_portable(x) &&
         (x.is_zero() || x * x.inverse() == Fq2::one());
  }
  return ok;
}

#if BN254_X86_ASM
// The assembly routines called directly, so they are checked even where the environment
// chose the portable backend.
template <class F>
bool assembly_agrees(Rng& rng, int rounds) {
  using P = typename F::Params;
  bool ok = true;
  for (int i = 0; i < rounds && ok; ++i) {
    const F a = rng.element<F>(), b = rng.element<F>(), c = rng.element<F>(), d = rng.element<F>();
    const F sa = unreduced_sum(a, b), sb = unreduced_sum(c, d);
    F r[8];
    x86::mul_mulx<P>(a.l, b.l, r[0].l);
    x86::sqr_mulx<P>(a.l, r[1].l);
    x86::add<P>(a.l, b.l, r[2].l);
    x86::sub<P>(a.l, b.l, r[3].l);
    x86::sub<P>(b.l, a.l, r[4].l);
    x86::dot2_mulx<P>(a.l, b.l, c.l, d.l, r[5].l);
    x86::mul_mulx<P>(sa.l, sb.l, r[6].l);
    x86::add_unreduced(a.l, b.l, r[7].l);
    ok = r[0] == a.mul_portable(b) && r[1] == a.sqr_portable() && r[2] == a.add_portable(b) &&
         r[3] == a.sub_portable(b) && r[4] == b.sub_portable(a) && r[5] == F::dot2_portable(a, b, c, d) &&
         r[6] == sa.mul_portable(sb) && r[7] == sa;
  }
  return ok;
}
#endif

}  // namespace

std::vector<BackendCheck> field_backend_check(uint64_t seed, int rounds) {
  Rng rng(seed);
  std::vector<BackendCheck> out;
  const std::string on = std::string(" (operators on ") + field_backend::name() + ")";
  out.push_back({"Fq operators agree with the portable C++" + on, operators_agree<Fq>(rng, rounds)});
  out.push_back({"Fr operators agree with the portable C++" + on, operators_agree<Fr>(rng, rounds)});
  out.push_back({"Fq2 product, square and inverse agree with the portable C++" + on, fq2_agrees(rng, rounds)});
#if BN254_X86_ASM
  if (field_backend::cpu_has_mulx_adx()) {
    out.push_back({"Fq MULX/ADX assembly agrees with the portable C++", assembly_agrees<Fq>(rng, rounds)});
    out.push_back({"Fr MULX/ADX assembly agrees with the portable C++", assembly_agrees<Fr>(rng, rounds)});
  }
#endif
  return out;
}

}  // namespace pw
