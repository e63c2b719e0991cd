// Multi-threaded Pippenger MSM on the CPU. Zero scalars are dropped and scalars equal to
// one are summed with plain additions before the windowed pass (circom witnesses are
// mostly 0/1 bits), then each signed window runs as one task across the pool.
#pragma once
#include <algorithm>
#include <vector>

#include "msm/pippenger.h"
#include "util/thread_pool.h"

namespace pw {

// Window size minimising windows * (points + bucket reduction), where a general
// XYZZ addition costs about 1.5 mixed ones.
inline int msm_window_bits(size_t n) {
  int best = 2;
  double best_cost = 1e300;
  for (int c = 2; c <= 20; ++c) {
    double cost = (double)msm_windows(c) * ((double)n + 3.0 * (double)(1u << (c - 1)));
    if (cost < best_cost) {
      best_cost = cost;
      best = c;
    }
  }
  return best;
}

template <class C>
typename C::Acc msm_cpu(const typename C::Aff* bases, const Scalar* scalars, size_t n, ThreadPool& pool) {
  using Acc = typename C::Acc;
  // 1. Split: ones summed per chunk, other non-zero scalars collected by index.
  const size_t chunk = 1 << 14;
  const size_t nchunks = (n + chunk - 1) / chunk;
  std::vector<Acc> ones(nchunks, Acc::infinity());
  std::vector<std::vector<uint32_t>> idx(nchunks);
  pool.parallel_for(nchunks, [&](size_t ch) {
    size_t b = ch * chunk, e = std::min(n, b + chunk);
    Acc acc = Acc::infinity();
    for (size_t i = b; i < e; ++i) {
      const Scalar& k = scalars[i];
      if (k.is_zero()) continue;
      if (k.is_one()) {
        acc.add_affine(bases[i]);
      } else {
        idx[ch].push_back((uint32_t)i);
      }
    }
    ones[ch] = acc;
  });
  Acc result = Acc::infinity();
  for (auto& a : ones) result.add(a);
  std::vector<uint32_t> gen;
  for (auto& v : idx) gen.insert(gen.end(), v.begin(), v.end());
  const size_t m = gen.size();
  if (m == 0) return result;

  // 2. Signed digits, window-major so each window task streams its own row.
  const int c = msm_window_bits(m);
  const int nwin = msm_windows(c);
  std::vector<int32_t> digits((size_t)nwin * m);
  pool.parallel_range(m, [&](size_t b, size_t e) {
    for (size_t j = b; j < e; ++j) recode_signed(scalars[gen[j]], c, nwin, &digits[j], m);
  });

  // 3. One task per window.
  const int nb = 1 << (c - 1);
  std::vector<Acc> win(nwin);
  pool.parallel_for((size_t)nwin, [&](size_t w) {
    std::vector<Acc> buckets(nb, Acc::infinity());
    const int32_t* row = &digits[w * m];
    for (size_t j = 0; j < m; ++j) bucket_add<C>(buckets.data(), row[j], bases[gen[j]]);
    win[w] = bucket_reduce<C>(buckets.data(), nb);
  });

  // 4. Horner over windows.
  Acc acc = win[nwin - 1];
  for (int w = nwin - 2; w >= 0; --w) {
    for (int i = 0; i < c; ++i) acc.dbl();
    acc.add(win[w]);
  }
  result.add(acc);
  return result;
}

}  // namespace pw
