// The device side of a Groth16 proof on an executor (CUDA or the grid emulator): resident
// zkey points, NTTs to the odd coset, h = a*b - c left on the device as MSM scalars,
// then the a, b1, b2 (G2), c and h MSMs. Uploads go through exec.upload (a copy stream for CUDA)
// and the compute stream waits for each just before its first use, so the b, c and
// witness transfers overlap the a transforms.
#pragma once
#include <chrono>
#include <mutex>

#include "cuda/backend.h"
#include "cuda/msm_pipeline.h"
#include "io/formats.h"

namespace pw {
namespace gpu {

template <class Exec>
class CircuitOn {
 public:
  template <class T>
  using Buf = typename Exec::template Buf<T>;

  CircuitOn(Exec& ex, const Zkey& z)
      : ex_(ex),
        n_(z.domain_size),
        log_n_(z.log_domain),
        n_vars_(z.n_vars),
        n_public_(z.n_public),
        a_(ex.template alloc<G1Aff>(z.a.size())),
        b1_(ex.template alloc<G1Aff>(z.b1.size())),
        c_(ex.template alloc<G1Aff>(z.c.size())),
        h_(ex.template alloc<G1Aff>(z.h.size())),
        b2_(ex.template alloc<G2Aff>(z.b2.size())),
        tw_(ex.template alloc<Fr>(half())),
        itw_(ex.template alloc<Fr>(half())),
        coset_(ex.template alloc<Fr>(n_)),
        da_(ex.template alloc<Fr>(n_)),
        db_(ex.template alloc<Fr>(n_)),
        dc_(ex.template alloc<Fr>(n_)),
        hs_(ex.template alloc<Scalar>(n_)),
        wit_(ex.template alloc<Scalar>(n_vars_)) {
    sizes_[0] = z.a.size();
    sizes_[1] = z.b1.size();
    sizes_[2] = z.c.size();
    sizes_[3] = z.h.size();
    sizes_[4] = z.b2.size();
    ex.wait(ex.upload(a_.get(), z.a.data(), z.a.size(), "zkey_a"));
    ex.wait(ex.upload(b1_.get(), z.b1.data(), z.b1.size(), "zkey_b1"));
    ex.wait(ex.upload(b2_.get(), z.b2.data(), z.b2.size(), "zkey_b2"));
    ex.wait(ex.upload(c_.get(), z.c.data(), z.c.size(), "zkey_c"));
    ex.wait(ex.upload(h_.get(), z.h.data(), z.h.size(), "zkey_h"));
    std::vector<Fr> tw = twiddles(log_n_, false), itw = twiddles(log_n_, true);
    ex.wait(ex.upload(tw_.get(), tw.data(), tw.size(), "twiddles"));
    ex.wait(ex.upload(itw_.get(), itw.data(), itw.size(), "twiddles"));
    // w_2N^k / N: unscaled inverse NTT -> coefficients -> values on the odd coset.
    std::vector<Fr> coset(n_);
    Fr w2 = root_of_unity(log_n_ + 1), acc = Fr::from_u64(n_).inverse();
    for (size_t k = 0; k < n_; ++k) {
      coset[k] = acc;
      acc *= w2;
    }
    ex.wait(ex.upload(coset_.get(), coset.data(), n_, "coset"));
    ex.sync();
  }

  GpuCircuit::MsmResults prove(const std::vector<Fr>& a, const std::vector<Fr>& b, const std::vector<Fr>& c,
                              const std::vector<Scalar>& witness, bool h_bitflip, Timings* t) {
    std::lock_guard<std::mutex> lock(mu_);
    using Clock = std::chrono::steady_clock;
    auto start = Clock::now();
    auto lap = [&](const char* name) {
      auto now = Clock::now();
      if (t) t->emplace_back(name, std::chrono::duration<double>(now - start).count());
      start = now;
    };
    // All uploads queued at once; each compute step waits only for its own input.
    auto ta = ex_.upload(da_.get(), a.data(), n_, "a");
    auto tb = ex_.upload(db_.get(), b.data(), n_, "b");
    auto tc = ex_.upload(dc_.get(), c.data(), n_, "c");
    auto tw = ex_.upload(wit_.get(), witness.data(), n_vars_, "witness");
    Fr* vecs[3] = {da_.get(), db_.get(), dc_.get()};
    typename Exec::Token tokens[3] = {ta, tb, tc};
    for (int i = 0; i < 3; ++i) {
      ex_.wait(tokens[i]);
      ntt(ex_, vecs[i], itw_.get(), log_n_);
      ex_.launch(MulPointwise{vecs[i], coset_.get()}, n_);
      ntt(ex_, vecs[i], tw_.get(), log_n_);
    }
    ex_.launch(QuotientH{da_.get(), db_.get(), dc_.get(), hs_.get()}, n_);
    if (h_bitflip) ex_.launch(FlipScalarBit{hs_.get(), n_ / 2}, 1);
    ex_.sync();
    lap("ntt");
    ex_.wait(tw);
    GpuCircuit::MsmResults r;
    r.a = msm<G1>(ex_, a_.get(), wit_.get(), sizes_[0], "msm_result");
    lap("msm_a");
    r.b1 = msm<G1>(ex_, b1_.get(), wit_.get(), sizes_[1], "msm_result");
    lap("msm_b1");
    r.b2 = msm<G2>(ex_, b2_.get(), wit_.get(), sizes_[4], "msm_result");
    lap("msm_b2");
    r.c = msm<G1>(ex_, c_.get(), wit_.get() + n_public_ + 1, sizes_[2], "msm_result");
    lap("msm_c");
    r.h = msm<G1>(ex_, h_.get(), hs_.get(), sizes_[3], "msm_result");
    lap("msm_h");
    ex_.report(t);
    return r;
  }

 private:
  size_t half() const { return n_ > 1 ? n_ / 2 : 1; }
  Exec& ex_;
  size_t n_;
  int log_n_;
  size_t n_vars_, n_public_;
  size_t sizes_[5];
  Buf<G1Aff> a_, b1_, c_, h_;
  Buf<G2Aff> b2_;
  Buf<Fr> tw_, itw_, coset_, da_, db_, dc_;
  Buf<Scalar> hs_, wit_;
  std::mutex mu_;
};

}  // namespace gpu
}  // namespace pw
