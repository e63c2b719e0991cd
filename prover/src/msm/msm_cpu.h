// Multi-threaded Pippenger MSM on the CPU. Zero scalars are dropped and scalars equal to
// one are summed with plain additions before the windowed pass (circom witnesses are
// mostly 0/1 bits), then each signed window runs as one task across the pool.
#pragma once
#include <algorithm>
#include <vector>

#include "bn254/msm/pippenger.h"
#include "bn254/util/thread_pool.h"

namespace pw {

// Window size minimising windows * (points + bucket reduction): a batch-affine point
// addition costs about 7 field multiplications, reducing one bucket (a mixed and a
// general XYZZ addition) about 24, hence the factor 3 per bucket.
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

// x[i] = 1/x[i] for i < k (all non-zero) with one field inversion (Montgomery's trick).
inline void batch_inverse(Fq* x, size_t k) {
  constexpr size_t kMax = 1024;
  Fq prefix[kMax];
  for (size_t base = 0; base < k; base += kMax) {
    const size_t e = base + kMax < k ? base + kMax : k;
    Fq acc = Fq::one();
    for (size_t i = base; i < e; ++i) {
      prefix[i - base] = acc;
      acc *= x[i];
    }
    Fq inv = acc.inverse();
    for (size_t i = e; i-- > base;) {
      const Fq xi = x[i];
      x[i] = inv * prefix[i - base];
      inv *= xi;
    }
  }
}

// In Fq2, 1/x = conj(x) / N(x) with the norm N(x) = x0^2 + x1^2 in Fq, so the shared
// inversion and its bookkeeping run on Fq values: about 6.5 Fq products an element
// instead of three Fq2 products (7.5).
inline void batch_inverse(Fq2* x, size_t k) {
  constexpr size_t kMax = 1024;
  Fq norm[kMax];
  for (size_t base = 0; base < k; base += kMax) {
    const size_t e = base + kMax < k ? base + kMax : k;
    for (size_t i = base; i < e; ++i) norm[i - base] = Fq::dot2(x[i].c0, x[i].c0, x[i].c1, x[i].c1);
    batch_inverse(norm, e - base);
    for (size_t i = base; i < e; ++i) x[i] = Fq2{x[i].c0 * norm[i - base], -(x[i].c1 * norm[i - base])};
  }
}

// Several Pippenger windows with affine buckets, one bucket array across them: bucket +=
// point additions are queued and done in batches that share one field inversion (about 6
// multiplications per addition instead of 10 for an XYZZ mixed addition). A point whose
// bucket is already in the batch waits for the next batch; if it meets a busy bucket again
// there (heavily repeated scalars), or the waiting list is full, it goes into that
// bucket's XYZZ overflow accumulator, so nothing can stall. Equal x (doubling or
// cancellation) also takes the XYZZ path, which handles both.
//
// The batch (up to 1024 additions) holds at most a quarter of the buckets, so few points
// meet a busy one. Small windows (2^12 points: 256 buckets a window) are grouped so that
// their buckets share one batch: a 512-point batch over 256 buckets could never fill, so
// it never flushed, the waiting list filled and about 90% of the additions took the XYZZ
// path.
//
// rows[t * stride + j] is the digit of point j in window t (t < nwin); out[t] gets that
// window's sum_b (b+1) * bucket[b].
template <class C>
void windows_batch_affine(const int32_t* rows, size_t stride, int nwin, const uint32_t* gen,
                          const typename C::Aff* bases, size_t m, int nb, typename C::Acc* out) {
  using Aff = typename C::Aff;
  using Acc = typename C::Acc;
  using F = typename C::F;
  // 1024 additions share an inversion where the buckets allow it (2^13 and more a task).
  constexpr size_t kMaxBatch = 1024;
  const size_t nbuckets = (size_t)nwin * (size_t)nb;
  const size_t batch = std::max<size_t>(16, std::min<size_t>(kMaxBatch, nbuckets / 4));
  const size_t max_wait = batch / 2;
  std::vector<Aff> bucket(nbuckets, Aff::infinity());
  std::vector<Acc> overflow(nbuckets, Acc::infinity());
  std::vector<uint32_t> busy(nbuckets, 0);
  uint32_t epoch = 1;
  size_t k = 0, nwait = 0;
  std::vector<uint32_t> pend_b(batch), wait_b(max_wait), retry_b(max_wait);
  std::vector<Aff> pend_p(batch), wait_p(max_wait), retry_p(max_wait);
  std::vector<F> dx(batch);

  // Schedules bucket[b] += p; false when b is busy in this batch.
  auto schedule = [&](uint32_t b, const Aff& p) -> bool {
    if (busy[b] == epoch) return false;
    Aff& q = bucket[b];
    if (q.is_inf()) {
      q = p;
    } else if (q.x == p.x) {
      overflow[b].add_affine(p);
    } else {
      busy[b] = epoch;
      dx[k] = p.x - q.x;
      pend_b[k] = b;
      pend_p[k] = p;
      ++k;
    }
    return true;
  };

  // Runs the batch, then moves the waiting points into the next one (at most max_wait of
  // them, so that cannot fill it).
  auto flush = [&]() {
    if (k > 0) {
      batch_inverse(dx.data(), k);
      for (size_t i = 0; i < k; ++i) {
        const F& di = dx[i];
        Aff& q = bucket[pend_b[i]];
        const Aff& p = pend_p[i];
        F lambda = (p.y - q.y) * di;
        F x3 = lambda.sqr() - q.x - p.x;
        q.y = lambda * (q.x - x3) - q.y;
        q.x = x3;
      }
      k = 0;
    }
    ++epoch;
    const size_t n = nwait;
    for (size_t i = 0; i < n; ++i) {
      retry_b[i] = wait_b[i];
      retry_p[i] = wait_p[i];
    }
    nwait = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!schedule(retry_b[i], retry_p[i])) overflow[retry_b[i]].add_affine(retry_p[i]);
    }
  };

  auto add = [&](uint32_t b, const Aff& p) {
    if (!schedule(b, p)) {
      if (nwait < max_wait) {
        wait_b[nwait] = b;
        wait_p[nwait] = p;
        ++nwait;
      } else {
        overflow[b].add_affine(p);
      }
    }
    if (k == batch) flush();
  };

  for (size_t j = 0; j < m; ++j) {
    const Aff& base = bases[gen[j]];
    for (int t = 0; t < nwin; ++t) {
      const int32_t d = rows[(size_t)t * stride + j];
      const uint32_t offset = (uint32_t)t * (uint32_t)nb;
      if (d > 0) {
        add(offset + (uint32_t)(d - 1), base);
      } else if (d < 0) {
        add(offset + (uint32_t)(-d - 1), base.neg());
      }
    }
  }
  while (k > 0 || nwait > 0) flush();

  // Running-sum reduction per window: sum_b (b+1) * bucket[b].
  for (int t = 0; t < nwin; ++t) {
    Acc running = Acc::infinity(), total = Acc::infinity();
    for (int b = nb - 1; b >= 0; --b) {
      const size_t i = (size_t)t * (size_t)nb + (size_t)b;
      running.add_affine(bucket[i]);
      running.add(overflow[i]);
      total.add(running);
    }
    out[t] = total;
  }
}

// How many tasks share the nwin windows: enough windows a task for 2048 buckets (a full
// batch then meets a busy bucket for about one point in eight), but at least two tasks a
// thread while there are windows for them, so the pool stays busy.
inline int msm_window_tasks(int nwin, int nb, unsigned threads) {
  constexpr int kBuckets = 2048;
  const int per_task = std::max(1, (kBuckets + nb - 1) / nb);
  const int tasks = (nwin + per_task - 1) / per_task;
  return std::min(nwin, std::max(tasks, (int)(2 * threads)));
}

// sum_i scalars[i] * bases[i]. Scalars are normal-form and below 2^254 (any Fr value),
// which the signed recoding's last window relies on.
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
      // Zero scalars and bases at infinity (signals absent from a matrix) add nothing;
      // the batch-affine pass below relies on every base being finite.
      if (k.is_zero() || bases[i].is_inf()) continue;
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

  // 3. Windows split evenly over the tasks (msm_window_tasks).
  const int nb = 1 << (c - 1);
  const int tasks = msm_window_tasks(nwin, nb, pool.size());
  std::vector<Acc> win(nwin);
  pool.parallel_for((size_t)tasks, [&](size_t t) {
    const int lo = (int)(t * (size_t)nwin / (size_t)tasks), hi = (int)((t + 1) * (size_t)nwin / (size_t)tasks);
    windows_batch_affine<C>(&digits[(size_t)lo * m], m, hi - lo, gen.data(), bases, m, nb, &win[lo]);
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
