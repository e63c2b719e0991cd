// Per-thread bodies of every CUDA kernel of the GPU backend, written once and compiled
// by nvcc for the device (launch.cuh) and by g++ for the grid emulator (emulator.h), so
// the tests exercise on a CPU the exact code a GPU runs. Each body is a small struct: its
// fields are the kernel arguments, operator()(tid) is one thread's work, tid being
// blockIdx.x * blockDim.x + threadIdx.x; launchers only run tid < count.
#pragma once
#include <cstddef>
#include <initializer_list>

#include "bn254/msm/pippenger.h"
#include "ntt/ntt.h"

namespace pw {
namespace gpu {

// Launch geometry shared by the CUDA launcher and the grid emulator: one-dimensional
// grids of kBlockThreads threads, tid = blockIdx.x * blockDim.x + threadIdx.x < count.
constexpr unsigned kBlockThreads = 128;
inline size_t grid_blocks(size_t count, unsigned block = kBlockThreads) { return (count + block - 1) / block; }

// ---------------------------------------------------------------------------------------
// MSM: Pippenger with signed c-bit windows over (bucket, point) pairs.
//
// Key of the pair (window w, digit d != 0): w * nb + |d| - 1, so after sorting a
// window's buckets are contiguous; digit 0, scalars 0 and 1 and bases at infinity get
// the sentinel nwin * nb, which sorts last and is skipped. Value: point index << 1 | sign.
// Scalars equal to one are summed apart (OnesPartial): circom witnesses are mostly bits,
// and a one would otherwise cost nwin pairs for a single addition.
struct MsmLayout {
  int c = 0;               // window bits
  int nwin = 0;            // windows (msm_windows(c))
  uint32_t nb = 0;         // buckets per window, 2^(c-1) (digits 1..2^(c-1))
  uint32_t nkeys = 0;      // nwin * nb; also the sentinel key
  int key_bits = 0;        // bits a radix sort must look at: keys are <= nkeys
  uint32_t seg_len = 0;    // buckets per reduction segment (power of two, divides nb)
  uint32_t nseg = 0;       // segments per window
  uint32_t group = 0;      // segments per second-level reduction thread (power of two)
  uint32_t ngroups = 0;    // groups per window
  uint32_t chunk = 0;      // sorted pairs per accumulation thread
};

// Reduction shape: seg_len buckets per first-level thread, group segments per
// second-level thread (both powers of two dividing what they split).
inline void msm_set_reduction(MsmLayout& L, uint32_t seg_len, uint32_t group) {
  L.seg_len = seg_len < L.nb ? seg_len : L.nb;
  L.nseg = L.nb / L.seg_len;
  L.group = group < L.nseg ? group : L.nseg;
  L.ngroups = L.nseg / L.group;
}

// Window size: about log2(n) - 3 between 4 and 16 (16 keeps the bucket array of the
// largest circuits, nwin * 2^15 XYZZ points, at 64 MiB).
// Bits of a full-width scalar (below 2^254) that land in the top window of c-bit windows.
inline int msm_top_window_bits(int c) { return 254 - (msm_windows(c) - 1) * c; }

inline MsmLayout msm_layout(size_t n) {
  int lg = 0;
  while (lg < 40 && (size_t(1) << (lg + 1)) <= n) ++lg;
  MsmLayout L;
  L.c = lg - 3 < 4 ? 4 : lg - 3 > 16 ? 16 : lg - 3;
  // A top window of a few bits sends every full-width scalar's top digit into a handful
  // of buckets, whose chunk partials BucketFinalize then folds one by one: 2^16 - 2
  // points took 22 ms to accumulate with c = 12 (2 top bits) against 3 ms for 2^16 with
  // c = 13 on an H100. Below half a window, a neighbour with a fuller top window wins.
  if (2 * msm_top_window_bits(L.c) < L.c) {
    int best = L.c;
    for (int c : {L.c - 1, L.c + 1}) {
      if (c >= 4 && c <= 16 && msm_top_window_bits(c) * best > msm_top_window_bits(best) * c) best = c;
    }
    L.c = best;
  }
  L.nwin = msm_windows(L.c);
  L.nb = 1u << (L.c - 1);
  L.nkeys = (uint32_t)L.nwin * L.nb;
  L.key_bits = 0;
  while (L.key_bits < 32 && (uint64_t(1) << L.key_bits) <= L.nkeys) ++L.key_bits;
  // Enough threads to fill a big GPU (132 SMs on an H100/H200) at every size: pairs per
  // accumulation thread and buckets per reduction thread shrink below 2^20 points, where
  // 256 and 64 left most SMs idle (a 2^16 MSM ran on 40 blocks).
  const size_t pairs = (size_t)L.nwin * n;
  L.chunk = 256;
  while (L.chunk > 32 && pairs / L.chunk < (size_t(1) << 16)) L.chunk /= 2;
  uint32_t seg_len = 64;
  while (seg_len > 16 && (size_t)L.nkeys / seg_len < (size_t(1) << 13)) seg_len /= 2;
  msm_set_reduction(L, seg_len, 16);
  return L;
}

PW_HOST_DEVICE inline bool msm_skip(const Scalar& k) { return k.is_zero() || k.is_one(); }

// Thread t sums bases whose scalar is exactly one over indices t, t + stride, ...
template <class C>
struct OnesPartial {
  const typename C::Aff* bases;
  const Scalar* scalars;
  size_t n, stride;
  typename C::Acc* out;  // [stride]
  PW_HOST_DEVICE void operator()(size_t t) const {
    typename C::Acc acc = C::Acc::infinity();
    for (size_t i = t; i < n; i += stride) {
      if (scalars[i].is_one()) acc.add_affine(bases[i]);  // add_affine skips infinity
    }
    out[t] = acc;
  }
};

// Thread t sums in[t], in[t + stride], ... (the ones partials, folded before download).
template <class C>
struct AccFold {
  const typename C::Acc* in;
  size_t n, stride;
  typename C::Acc* out;  // [stride]
  PW_HOST_DEVICE void operator()(size_t t) const {
    typename C::Acc acc = C::Acc::infinity();
    for (size_t i = t; i < n; i += stride) acc.add(in[i]);
    out[t] = acc;
  }
};

// Bucket assignment: point i writes its nwin pairs at keys[w * n + i], vals[w * n + i].
template <class C>
struct Digits {
  const typename C::Aff* bases;
  const Scalar* scalars;
  size_t n;
  MsmLayout L;
  uint32_t* keys;
  uint32_t* vals;
  PW_HOST_DEVICE void operator()(size_t i) const {
    const Scalar k = scalars[i];
    const bool skip = msm_skip(k) || bases[i].is_inf();
    const int32_t half = 1 << (L.c - 1);
    uint32_t carry = 0;
    for (int w = 0; w < L.nwin; ++w) {
      int32_t d = (int32_t)(scalar_bits(k, w * L.c, L.c) + carry);
      carry = 0;
      if (d > half) {
        d -= (1 << L.c);
        carry = 1;
      }
      const size_t at = (size_t)w * n + i;
      const uint32_t mag = (uint32_t)(d < 0 ? -d : d);
      keys[at] = (skip || d == 0) ? L.nkeys : (uint32_t)w * L.nb + mag - 1;
      vals[at] = ((uint32_t)i << 1) | (d < 0 ? 1u : 0u);
    }
  }
};

// After the sort: bucket k's pairs are sorted[start[k] .. end[k]); start/end are zeroed
// before the launch, so empty buckets read as [0, 0).
struct BucketBounds {
  const uint32_t* keys;  // sorted
  size_t total;
  uint32_t sentinel;
  uint32_t* start;
  uint32_t* end;
  PW_HOST_DEVICE void operator()(size_t t) const {
    const uint32_t k = keys[t];
    if (k >= sentinel) return;
    if (t == 0 || keys[t - 1] != k) start[k] = (uint32_t)t;
    if (t + 1 == total || keys[t + 1] != k) end[k] = (uint32_t)(t + 1);
  }
};

// Accumulation, balanced whatever the scalars: thread j sums the sorted pairs
// [j*chunk, (j+1)*chunk), run by run (a run = one bucket's pairs). A run wholly inside the
// chunk is that bucket's sum and goes to buckets[k]; a run cut by the chunk's start goes
// to first_part[j], one cut only by its end to last_part[j]. One thread per bucket could
// take a whole window's points into one bucket (r-1, a repeated constant: common in
// circom witnesses) and run for seconds.
template <class C>
struct ChunkAccumulate {
  const typename C::Aff* bases;
  const uint32_t* keys;  // sorted
  const uint32_t* vals;  // sorted with the keys
  size_t total;
  uint32_t sentinel, chunk;
  typename C::Acc* buckets;     // [nkeys]
  typename C::Acc* first_part;  // [chunks]
  typename C::Acc* last_part;   // [chunks]
  PW_HOST_DEVICE void operator()(size_t j) const {
    const size_t lo = j * chunk, hi = lo + chunk < total ? lo + chunk : total;
    first_part[j] = C::Acc::infinity();
    last_part[j] = C::Acc::infinity();
    size_t t = lo;
    while (t < hi) {
      const uint32_t k = keys[t];
      if (k >= sentinel) break;  // sentinels sort last
      const size_t s = t;
      typename C::Acc acc = C::Acc::infinity();
      for (; t < hi && keys[t] == k; ++t) {
        const uint32_t v = vals[t];
        const typename C::Aff& p = bases[v >> 1];
        acc.add_affine((v & 1) ? p.neg() : p);
      }
      const bool starts_here = !(s == lo && lo > 0 && keys[lo - 1] == k);
      const bool ends_here = !(t == hi && hi < total && keys[hi] == k);
      if (starts_here && ends_here) {
        buckets[k] = acc;
      } else if (!starts_here) {
        first_part[j] = acc;
      } else {
        last_part[j] = acc;
      }
    }
  }
};

// One thread per bucket: empty buckets to infinity; a bucket cut across chunks j0..j1
// is last_part[j0] + first_part[j0+1] + ... + first_part[j1].
template <class C>
struct BucketFinalize {
  const uint32_t* start;
  const uint32_t* end;
  uint32_t chunk;
  const typename C::Acc* first_part;
  const typename C::Acc* last_part;
  typename C::Acc* buckets;
  PW_HOST_DEVICE void operator()(size_t k) const {
    const uint32_t s = start[k], e = end[k];
    if (s == e) {
      buckets[k] = C::Acc::infinity();
      return;
    }
    const uint32_t j0 = s / chunk, j1 = (e - 1) / chunk;
    if (j0 == j1) return;  // ChunkAccumulate wrote it
    typename C::Acc acc = last_part[j0];
    for (uint32_t j = j0 + 1; j <= j1; ++j) acc.add(first_part[j]);
    buckets[k] = acc;
  }
};

// Running-sum reduction, split in segments so a window's 2^(c-1) buckets are reduced by
// nseg threads: thread (w, s) over buckets j = 0..seg_len-1 of its segment (digit
// s*seg_len + j + 1) computes R = sum_j B_j and T = sum_j (j+1) B_j.
template <class C>
struct SegmentReduce {
  const typename C::Acc* buckets;
  MsmLayout L;
  typename C::Acc* seg_t;  // [nwin * nseg]
  typename C::Acc* seg_r;
  PW_HOST_DEVICE void operator()(size_t tid) const {
    const size_t w = tid / L.nseg, s = tid % L.nseg;
    const typename C::Acc* b = buckets + w * L.nb + s * L.seg_len;
    typename C::Acc running = C::Acc::infinity(), total = C::Acc::infinity();
    for (int j = (int)L.seg_len - 1; j >= 0; --j) {
      running.add(b[j]);
      total.add(running);
    }
    seg_t[tid] = total;
    seg_r[tid] = running;
  }
};

// Second level, so no thread walks a window's nseg segments alone (that serial walk was
// most of a 2^20 MSM): thread (w, g) over segments s = g*group + i, i < group, computes
// U_g = sum_i T_s, Rg_g = sum_i R_s and W_g = sum_i i * R_s.
template <class C>
struct GroupReduce {
  const typename C::Acc* seg_t;
  const typename C::Acc* seg_r;
  MsmLayout L;
  typename C::Acc* grp_u;  // [nwin * ngroups]
  typename C::Acc* grp_r;
  typename C::Acc* grp_w;
  PW_HOST_DEVICE void operator()(size_t tid) const {
    const size_t w = tid / L.ngroups, g = tid % L.ngroups;
    const size_t first = w * L.nseg + g * L.group;
    typename C::Acc u = C::Acc::infinity(), running = C::Acc::infinity(), weighted = C::Acc::infinity();
    for (int i = (int)L.group - 1; i >= 0; --i) {
      u.add(seg_t[first + i]);
      running.add(seg_r[first + i]);
      if (i > 0) weighted.add(running);
    }
    grp_u[tid] = u;
    grp_r[tid] = running;
    grp_w[tid] = weighted;
  }
};

// One thread per window: with V = sum_s s * R_s = sum_g W_g + group * sum_g g * Rg_g,
// the window sum is sum_g U_g + seg_len * V = sum_d d * bucket(d).
template <class C>
struct WindowReduce {
  const typename C::Acc* grp_u;
  const typename C::Acc* grp_r;
  const typename C::Acc* grp_w;
  MsmLayout L;
  typename C::Acc* out;  // [nwin]
  PW_HOST_DEVICE void operator()(size_t w) const {
    const size_t first = w * L.ngroups;
    typename C::Acc running = C::Acc::infinity(), v = C::Acc::infinity(), sum = C::Acc::infinity();
    for (int g = (int)L.ngroups - 1; g >= 1; --g) {
      running.add(grp_r[first + g]);
      v.add(running);
    }
    for (uint32_t m = L.group; m > 1; m >>= 1) v.dbl();
    for (uint32_t g = 0; g < L.ngroups; ++g) {
      v.add(grp_w[first + g]);
      sum.add(grp_u[first + g]);
    }
    for (uint32_t m = L.seg_len; m > 1; m >>= 1) v.dbl();
    sum.add(v);
    out[w] = sum;
  }
};

// Horner over the window sums (host side after the download, or one device thread).
template <class C>
PW_HOST_DEVICE typename C::Acc combine_windows(const typename C::Acc* win, const MsmLayout& L) {
  typename C::Acc acc = win[L.nwin - 1];
  for (int w = L.nwin - 2; w >= 0; --w) {
    for (int i = 0; i < L.c; ++i) acc.dbl();
    acc.add(win[w]);
  }
  return acc;
}

// ---------------------------------------------------------------------------------------
// NTT over Fr: the radix-2 stages of ntt.h, one butterfly per thread.
struct BitReverse {
  Fr* a;
  int log_n;
  PW_HOST_DEVICE void operator()(size_t i) const {
    const size_t j = bit_reverse((uint32_t)i, log_n);
    if (i < j) {
      Fr t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
};

// Stage log_half over n/2 threads; tw[i] = w^i, i < n/2.
struct Butterfly {
  Fr* a;
  const Fr* tw;
  int log_half, log_n;
  PW_HOST_DEVICE void operator()(size_t j) const { ntt_butterfly(a, tw, j, log_half, log_n); }
};

// a[i] *= s[i] (coset scaling w_2N^i / N folded into one table).
struct MulPointwise {
  Fr* a;
  const Fr* s;
  PW_HOST_DEVICE void operator()(size_t i) const { a[i] = a[i] * s[i]; }
};

// a[i] *= k (1/n after an unscaled inverse NTT).
struct MulScalar {
  Fr* a;
  Fr k;
  PW_HOST_DEVICE void operator()(size_t i) const { a[i] = a[i] * k; }
};

// h_i = a_i * b_i - c_i in normal form: the scalars of the H MSM, never leaving the GPU.
struct QuotientH {
  const Fr* a;
  const Fr* b;
  const Fr* c;
  Scalar* h;
  PW_HOST_DEVICE void operator()(size_t i) const { (a[i] * b[i] - c[i]).to_normal(h[i].l); }
};

// --inject-fault h-bitflip on the device (one thread): same flip as the CPU prover.
struct FlipScalarBit {
  Scalar* h;
  size_t at;
  PW_HOST_DEVICE void operator()(size_t) const { h[at].l[0] ^= 1; }
};

}  // namespace gpu
}  // namespace pw
