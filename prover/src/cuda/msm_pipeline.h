// The GPU MSM as a sequence of launches, written once against an executor: the CUDA one
// (cuda_exec.cuh: device memory, a stream, CUB's radix sort) or the grid emulator
// (emulator.h: host memory, the bodies run over the grid on the CPU, a stable counting
// sort). Steps are public so the tests can inspect each intermediate.
//
// Exec provides: Buf<T> (owning, .get()), alloc<T>(n), zero(T*, n), launch(body, count),
// sort_pairs(keys_in, vals_in, keys_out, vals_out, n, key_bits) (stable, ascending),
// download(T* host, const T* dev, n, label) (synchronous).
#pragma once
#include <vector>

#include "cuda/kernels.h"

namespace pw {
namespace gpu {

template <class C, class Exec>
class MsmPipeline {
 public:
  using Aff = typename C::Aff;
  using Acc = typename C::Acc;
  template <class T>
  using Buf = typename Exec::template Buf<T>;

  // bases, scalars: executor memory (device pointers for CUDA), n of each.
  // chunk, seg_len, group, when not 0, replace the layout's pairs per accumulation
  // thread and reduction shape (tests reach every path with small inputs).
  MsmPipeline(Exec& ex, const Aff* bases, const Scalar* scalars, size_t n, uint32_t chunk = 0, uint32_t seg_len = 0,
              uint32_t group = 0)
      : ex_(ex), bases_(bases), scalars_(scalars), n_(n), L_(msm_layout(n)), pairs_((size_t)L_.nwin * n) {
    ones_stride_ = n < 4096 ? (n ? n : 1) : 4096;
    if (chunk) L_.chunk = chunk;
    if (seg_len || group) msm_set_reduction(L_, seg_len ? seg_len : L_.seg_len, group ? group : L_.group);
  }

  const MsmLayout& layout() const { return L_; }
  size_t pairs() const { return pairs_; }

  // Scalars equal to one: per-thread partial sums.
  void ones() {
    Buf<Acc> partial = ex_.template alloc<Acc>(ones_stride_);
    ex_.launch(OnesPartial<C>{bases_, scalars_, n_, ones_stride_, partial.get()}, ones_stride_);
    ones_ = ex_.template alloc<Acc>(kOnesFolded);
    ex_.launch(AccFold<C>{partial.get(), ones_stride_, kOnesFolded, ones_.get()}, kOnesFolded);
  }
  // Bucket assignment: nwin (key, value) pairs per point.
  void assign() {
    keys_ = ex_.template alloc<uint32_t>(pairs_);
    vals_ = ex_.template alloc<uint32_t>(pairs_);
    ex_.launch(Digits<C>{bases_, scalars_, n_, L_, keys_.get(), vals_.get()}, n_);
  }
  // Groups pairs by bucket (radix sort on the key's low key_bits bits).
  void sort() {
    skeys_ = ex_.template alloc<uint32_t>(pairs_);
    svals_ = ex_.template alloc<uint32_t>(pairs_);
    ex_.sort_pairs(keys_.get(), vals_.get(), skeys_.get(), svals_.get(), pairs_, L_.key_bits);
    keys_ = Buf<uint32_t>();
    vals_ = Buf<uint32_t>();
  }
  void bounds() {
    start_ = ex_.template alloc<uint32_t>(L_.nkeys);
    end_ = ex_.template alloc<uint32_t>(L_.nkeys);
    ex_.zero(start_.get(), L_.nkeys);
    ex_.zero(end_.get(), L_.nkeys);
    ex_.launch(BucketBounds{skeys_.get(), pairs_, L_.nkeys, start_.get(), end_.get()}, pairs_);
  }
  void accumulate() {
    buckets_ = ex_.template alloc<Acc>(L_.nkeys);
    const size_t chunks = (pairs_ + L_.chunk - 1) / L_.chunk;
    Buf<Acc> first = ex_.template alloc<Acc>(chunks), last = ex_.template alloc<Acc>(chunks);
    ex_.launch(ChunkAccumulate<C>{bases_, skeys_.get(), svals_.get(), pairs_, L_.nkeys, L_.chunk, buckets_.get(),
                                  first.get(), last.get()},
               chunks);
    ex_.launch(BucketFinalize<C>{start_.get(), end_.get(), L_.chunk, first.get(), last.get(), buckets_.get()}, L_.nkeys);
  }
  void reduce() {
    const size_t nseg = (size_t)L_.nwin * L_.nseg;
    seg_t_ = ex_.template alloc<Acc>(nseg);
    seg_r_ = ex_.template alloc<Acc>(nseg);
    ex_.launch(SegmentReduce<C>{buckets_.get(), L_, seg_t_.get(), seg_r_.get()}, nseg);
    const size_t ngroups = (size_t)L_.nwin * L_.ngroups;
    Buf<Acc> gu = ex_.template alloc<Acc>(ngroups), gr = ex_.template alloc<Acc>(ngroups),
             gw = ex_.template alloc<Acc>(ngroups);
    ex_.launch(GroupReduce<C>{seg_t_.get(), seg_r_.get(), L_, gu.get(), gr.get(), gw.get()}, ngroups);
    win_ = ex_.template alloc<Acc>(L_.nwin);
    ex_.launch(WindowReduce<C>{gu.get(), gr.get(), gw.get(), L_, win_.get()}, (size_t)L_.nwin);
  }
  // Downloads the window sums and the ones partials; Horner on the host.
  Acc finish(const char* label) {
    std::vector<Acc> win(L_.nwin), ones(kOnesFolded);
    ex_.download(win.data(), win_.get(), win.size(), label);
    ex_.download(ones.data(), ones_.get(), ones.size(), label);
    Acc r = combine_windows<C>(win.data(), L_);
    for (const Acc& o : ones) r.add(o);
    return r;
  }
  Acc run(const char* label = "msm") {
    if (n_ == 0) return Acc::infinity();
    ones();
    assign();
    sort();
    bounds();
    accumulate();
    reduce();
    return finish(label);
  }

  // Intermediates for the tests (executor memory).
  const uint32_t* keys() const { return keys_.get(); }
  const uint32_t* vals() const { return vals_.get(); }
  const uint32_t* sorted_keys() const { return skeys_.get(); }
  const uint32_t* sorted_vals() const { return svals_.get(); }
  const uint32_t* bucket_start() const { return start_.get(); }
  const uint32_t* bucket_end() const { return end_.get(); }
  const Acc* buckets() const { return buckets_.get(); }
  const Acc* windows() const { return win_.get(); }
  // The window sums, writable: only the canary's fault injection (canary/checks.h)
  // corrupts a kernel result here, between reduce() and finish().
  Acc* windows_for_fault() { return win_.get(); }

 private:
  static constexpr size_t kOnesFolded = 32;
  Exec& ex_;
  const Aff* bases_;
  const Scalar* scalars_;
  size_t n_;
  MsmLayout L_;
  size_t pairs_, ones_stride_;
  Buf<Acc> ones_, buckets_, seg_t_, seg_r_, win_;
  Buf<uint32_t> keys_, vals_, skeys_, svals_, start_, end_;
};

template <class C, class Exec>
typename C::Acc msm(Exec& ex, const typename C::Aff* bases, const Scalar* scalars, size_t n, const char* label = "msm") {
  return MsmPipeline<C, Exec>(ex, bases, scalars, n).run(label);
}

// In-place radix-2 NTT of a[0 .. 2^log_n) with twiddles tw[i] = w^i (i < n/2): natural
// order in and out, unscaled (callers scale an inverse transform).
template <class Exec>
void ntt(Exec& ex, Fr* a, const Fr* tw, int log_n) {
  const size_t n = size_t(1) << log_n;
  if (n == 1) return;
  ex.launch(BitReverse{a, log_n}, n);
  for (int s = 0; s < log_n; ++s) ex.launch(Butterfly{a, tw, s, log_n}, n / 2);
}

// Twiddle table w^i, i < max(1, n/2), for w a primitive 2^log_n-th root (or its inverse).
inline std::vector<Fr> twiddles(int log_n, bool inverse) {
  const size_t h = log_n > 0 ? (size_t(1) << (log_n - 1)) : 1;
  Fr w = root_of_unity(log_n);
  if (inverse) w = w.inverse();
  std::vector<Fr> tw(h);
  tw[0] = Fr::one();
  for (size_t i = 1; i < h; ++i) tw[i] = tw[i - 1] * w;
  return tw;
}

}  // namespace gpu
}  // namespace pw
