// Multi-threaded Pippenger MSM on the CPU. Zero scalars are dropped and scalars equal to
// one are summed with plain additions before the windowed pass (circom witnesses are
// mostly 0/1 bits), then each signed window runs as one task across the pool, with
// affine buckets filled and reduced in batches that share one inversion.
#pragma once
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "bn254/ec/batch_affine.h"
#include "bn254/msm/pippenger.h"
#include "bn254/util/thread_pool.h"

namespace pw {

// Window size minimising windows * (points + bucket reduction): reducing a bucket costs
// about two batch-affine point additions (reduce_buckets_affine), hence the factor 2 per
// bucket. Measured on one thread against the neighbouring sizes: 2^12 points pick c = 10
// (c = 9 took 3-5% longer), 2^16 c = 13 (12 and 14 took 1-8% longer).
inline int msm_window_bits(size_t n) {
  int best = 2;
  double best_cost = 1e300;
  for (int c = 2; c <= 20; ++c) {
    double cost = (double)msm_windows(c) * ((double)n + 2.0 * (double)(1u << (c - 1)));
    if (cost < best_cost) {
      best_cost = cost;
      best = c;
    }
  }
  return best;
}

// Digits of the scalars gen[b..e) into rows[w * stride + j] (recode_signed's digits),
// through a local block so the rows are written in runs rather than one int a row in turn
// (about 3x faster at 2^16).
inline void recode_rows(const Scalar* scalars, const uint32_t* gen, size_t b, size_t e, int c, int nwin, int32_t* rows,
                        size_t stride) {
  constexpr size_t kBlock = 128;
  int32_t buf[128 * kBlock];  // nwin = msm_windows(c) <= 128 (c >= 2)
  const uint32_t mask = (1u << c) - 1, half = 1u << (c - 1);
  for (size_t j0 = b; j0 < e; j0 += kBlock) {
    const size_t j1 = std::min(e, j0 + kBlock);
    for (size_t j = j0; j < j1; ++j) {
      const Scalar& k = scalars[gen[j]];
      const uint64_t l[5] = {k.l[0], k.l[1], k.l[2], k.l[3], 0};
      uint32_t carry = 0;
      int pos = 0;
      for (int w = 0; w < nwin; ++w, pos += c) {
        const int limb = pos >> 6, sh = pos & 63;
        uint64_t v = l[limb] >> sh;
        if (sh + c > 64) v |= l[limb + 1] << (64 - sh);
        const uint32_t d = ((uint32_t)v & mask) + carry;
        carry = d > half;
        buf[(size_t)w * kBlock + (j - j0)] = (int32_t)d - (int32_t)(carry << c);
      }
    }
    for (int w = 0; w < nwin; ++w) std::memcpy(&rows[(size_t)w * stride + j0], &buf[(size_t)w * kBlock], (j1 - j0) * 4);
  }
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

// acc[i] += add[i] for i < k in affine coordinates, one shared inversion for all the
// generic additions; infinity on either side, doublings and cancellations (equal x, rare
// in bucket sums) are done apart.
template <class C>
void batch_add_affine(typename C::Aff* acc, const typename C::Aff* add, size_t k, typename C::F* dx, uint32_t* idx) {
  using Acc = typename C::Acc;
  size_t m = 0;
  for (size_t i = 0; i < k; ++i) {
    const typename C::Aff& p = add[i];
    typename C::Aff& q = acc[i];
    if (p.is_inf()) continue;
    if (q.is_inf()) {
      q = p;
    } else if (q.x == p.x) {
      Acc s = Acc::from_affine(q);
      s.add_affine(p);
      q = s.to_affine();
    } else {
      dx[m] = p.x - q.x;
      idx[m++] = (uint32_t)i;
    }
  }
  batch_inverse(dx, m);
  for (size_t j = 0; j < m; ++j) {
    typename C::Aff& q = acc[idx[j]];
    const typename C::Aff& p = add[idx[j]];
    const typename C::F lambda = (p.y - q.y) * dx[j];
    const typename C::F x3 = lambda.sqr() - q.x - p.x;
    q.y = lambda * (q.x - x3) - q.y;
    q.x = x3;
  }
}

// out[t] = sum_b (b+1) * bucket[t * nb + b] for t < nwin. Each window's buckets are cut
// into segments of L; every segment runs its own running sum, all of them in step, so
// each step is one batch of affine additions sharing an inversion (about 6
// multiplications an addition against 10 and 14 for the XYZZ running sum's two). With
// R_s the segment's plain sum and T_s its running-sum total, a window is
// sum_s T_s + L * sum_s s * R_s, the last sum a short XYZZ running sum over segments.
template <class C>
void reduce_buckets_affine(const typename C::Aff* bucket, int nwin, int nb, typename C::Acc* out) {
  using Aff = typename C::Aff;
  using Acc = typename C::Acc;
  const size_t nbuckets = (size_t)nwin * (size_t)nb;
  // About 256 segments a batch (an inversion costs about 300 multiplications), at most
  // 16 buckets a segment.
  int log_l = 0;
  while (log_l < 4 && (2u << log_l) <= (unsigned)nb && (nbuckets >> (log_l + 1)) >= 256) ++log_l;
  const int L = 1 << log_l;
  const size_t nseg = nbuckets >> log_l;
  const int seg_per_win = nb >> log_l;
  std::vector<Aff> run(nseg, Aff::infinity()), tot(nseg, Aff::infinity()), col(nseg);
  std::vector<typename C::F> dx(nseg);
  std::vector<uint32_t> idx(nseg);
  for (int i = L - 1; i >= 0; --i) {
    for (size_t s = 0; s < nseg; ++s) col[s] = bucket[(s << log_l) + (size_t)i];
    batch_add_affine<C>(run.data(), col.data(), nseg, dx.data(), idx.data());
    batch_add_affine<C>(tot.data(), run.data(), nseg, dx.data(), idx.data());
  }
  for (int t = 0; t < nwin; ++t) {
    const Aff* r = &run[(size_t)t * (size_t)seg_per_win];
    const Aff* tt = &tot[(size_t)t * (size_t)seg_per_win];
    Acc running = Acc::infinity(), weighted = Acc::infinity(), sum = Acc::infinity();
    for (int s = seg_per_win - 1; s >= 1; --s) {
      running.add_affine(r[s]);
      weighted.add(running);
    }
    for (int s = 0; s < seg_per_win; ++s) sum.add_affine(tt[s]);
    for (int j = 0; j < log_l; ++j) weighted.dbl();
    weighted.add(sum);
    out[t] = weighted;
  }
}

// Several Pippenger windows with affine buckets, one bucket array across them: bucket +=
// point additions are queued and done in batches that share one field inversion (about 6
// multiplications per addition instead of 10 for an XYZZ mixed addition). A point whose
// bucket is already in the batch waits for a later batch (up to kTries of them); if its
// bucket is still busy then (heavily repeated scalars), or the waiting list is full, it
// goes into that bucket's XYZZ overflow accumulator, so nothing can stall. Equal x
// (doubling or cancellation) also takes the XYZZ path, which handles both.
//
// The batch (up to 1024 additions) holds at most a quarter of the buckets, so few points
// meet a busy one. Small windows (2^12 points: 256 buckets a window) are grouped so that
// their buckets share one batch: a 512-point batch over 256 buckets could never fill, so
// it never flushed, the waiting list filled and about 90% of the additions took the XYZZ
// path.
//
// The top window of a scalar below 2^254 has digits up to 2^top_bits only (c = 13: 128 of
// 4096 buckets), so a batch there could never fill, and nearly all of its additions took
// the XYZZ path. When the task holds that window (top_bits >= 0), its nb buckets are
// used as nb / 2^top_bits lanes of 2^top_bits buckets, point j in lane j mod lanes, and
// the lanes are summed before the reduction.
//
// rows[t * stride + j] is the digit of point j in window t (t < nwin); out[t] gets that
// window's sum_b (b+1) * bucket[b].
template <class C>
void windows_batch_affine(const int32_t* rows, size_t stride, int nwin, const uint32_t* gen,
                          const typename C::Aff* bases, size_t m, int nb, int top_bits, typename C::Acc* out) {
  using Aff = typename C::Aff;
  using Acc = typename C::Acc;
  using F = typename C::F;
  // 1024 additions share an inversion where the buckets allow it (2^13 and more a task).
  constexpr size_t kMaxBatch = 1024;
  const size_t nbuckets = (size_t)nwin * (size_t)nb;
  const size_t batch = std::max<size_t>(16, std::min<size_t>(kMaxBatch, nbuckets / 4));
  const size_t max_wait = batch / 2;
  constexpr uint8_t kTries = 3;
  const int lane_bits = top_bits >= 0 ? __builtin_ctz((unsigned)nb) - top_bits : 0;
  const uint32_t lane_mask = (1u << lane_bits) - 1;
  std::vector<Aff> bucket(nbuckets, Aff::infinity());
  std::vector<Acc> overflow(nbuckets, Acc::infinity());
  std::vector<uint32_t> busy(nbuckets, 0);
  uint32_t epoch = 1;
  size_t k = 0, nwait = 0;
  std::vector<uint32_t> pend_b(batch), wait_b(max_wait), retry_b(max_wait);
  std::vector<uint8_t> wait_n(max_wait), retry_n(max_wait);
  // Points are queued by reference, 2 * (index into bases) + 1 when negated, rather than
  // copied (64 or 128 bytes each).
  std::vector<uint32_t> pend_s(batch), wait_s(max_wait), retry_s(max_wait);
  std::vector<F> dx(batch);
  auto point = [&](uint32_t s) -> Aff {
    const Aff& a = bases[s >> 1];
    return (s & 1) ? Aff{a.x, -a.y} : a;
  };

  // Schedules bucket[b] += point(s); false when b is busy in this batch.
  auto schedule = [&](uint32_t b, uint32_t s) -> bool {
    if (busy[b] == epoch) return false;
    Aff& q = bucket[b];
    const Aff& a = bases[s >> 1];
    if (q.is_inf()) {
      q = point(s);
    } else if (q.x == a.x) {
      overflow[b].add_affine(point(s));
    } else {
      busy[b] = epoch;
      dx[k] = a.x - q.x;
      pend_b[k] = b;
      pend_s[k] = s;
      ++k;
    }
    return true;
  };

  // Runs the batch, then moves the waiting points into the next one (at most max_wait of
  // them, so that cannot fill it).
  auto flush = [&](bool last) {
    if (k > 0) {
      batch_inverse(dx.data(), k);
      for (size_t i = 0; i < k; ++i) {
        const F& di = dx[i];
        Aff& q = bucket[pend_b[i]];
        const Aff& p = bases[pend_s[i] >> 1];
        F lambda = ((pend_s[i] & 1) ? -p.y - q.y : p.y - q.y) * di;
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
      retry_s[i] = wait_s[i];
      retry_n[i] = wait_n[i];
    }
    nwait = 0;
    for (size_t i = 0; i < n; ++i) {
      if (schedule(retry_b[i], retry_s[i])) continue;
      if (!last && retry_n[i] < kTries) {
        wait_b[nwait] = retry_b[i];
        wait_s[nwait] = retry_s[i];
        wait_n[nwait] = (uint8_t)(retry_n[i] + 1);
        ++nwait;
      } else {
        overflow[retry_b[i]].add_affine(point(retry_s[i]));
      }
    }
  };

  auto add = [&](uint32_t b, uint32_t s) {
    if (!schedule(b, s)) {
      if (nwait < max_wait) {
        wait_b[nwait] = b;
        wait_s[nwait] = s;
        wait_n[nwait] = 1;
        ++nwait;
      } else {
        overflow[b].add_affine(point(s));
      }
    }
    if (k == batch) flush(false);
  };

  const int top = top_bits >= 0 ? nwin - 1 : nwin;
  for (size_t j = 0; j < m; ++j) {
    const uint32_t src = gen[j] << 1;
    for (int t = 0; t < nwin; ++t) {
      const int32_t d = rows[(size_t)t * stride + j];
      if (d == 0) continue;
      uint32_t offset = (uint32_t)t * (uint32_t)nb;
      if (t == top) offset += ((uint32_t)j & lane_mask) << top_bits;
      add(offset + (uint32_t)(d > 0 ? d - 1 : -d - 1), src | (uint32_t)(d < 0));
    }
  }
  flush(false);
  while (k > 0 || nwait > 0) flush(true);

  // Overflow accumulators (repeated scalars; few) folded into their buckets, then the
  // buckets reduced in affine (reduce_buckets_affine).
  std::vector<uint32_t> spilled;
  for (size_t i = 0; i < nbuckets; ++i) {
    if (!overflow[i].is_inf()) spilled.push_back((uint32_t)i);
  }
  if (!spilled.empty()) {
    std::vector<Acc> sum(spilled.size());
    std::vector<Aff> aff(spilled.size());
    for (size_t j = 0; j < spilled.size(); ++j) {
      sum[j] = overflow[spilled[j]];
      sum[j].add_affine(bucket[spilled[j]]);
    }
    batch_to_affine<C>(sum.data(), aff.data(), sum.size());
    for (size_t j = 0; j < spilled.size(); ++j) bucket[spilled[j]] = aff[j];
  }
  if (lane_bits > 0) {
    // Lanes summed pairwise, in batches: lane i += lane i + half.
    Aff* lanes = &bucket[(size_t)top * (size_t)nb];
    const size_t width = size_t(1) << top_bits;
    std::vector<F> inv(size_t(nb) / 2);
    std::vector<uint32_t> at(size_t(nb) / 2);
    for (size_t half = size_t(nb) / 2; half >= width; half /= 2) {
      batch_add_affine<C>(lanes, lanes + half, half, inv.data(), at.data());
    }
    for (size_t i = width; i < (size_t)nb; ++i) lanes[i] = Aff::infinity();
  }
  reduce_buckets_affine<C>(bucket.data(), nwin, nb, out);
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
  std::unique_ptr<int32_t[]> digits(new int32_t[(size_t)nwin * m]);  // every entry written below
  pool.parallel_range(m, [&](size_t b, size_t e) { recode_rows(scalars, gen.data(), b, e, c, nwin, digits.get(), m); });

  // 3. Windows split evenly over the tasks (msm_window_tasks).
  const int nb = 1 << (c - 1);
  const int tasks = msm_window_tasks(nwin, nb, pool.size());
  std::vector<Acc> win(nwin);
  // Scalars below 2^254: the top window's digits are at most 2^top_bits; lanes where that
  // leaves at least four of them (-1: none).
  const int top_bits = 254 - c * (nwin - 1);
  const int lanes_top = top_bits <= c - 3 ? top_bits : -1;
  pool.parallel_for((size_t)tasks, [&](size_t t) {
    const int lo = (int)(t * (size_t)nwin / (size_t)tasks), hi = (int)((t + 1) * (size_t)nwin / (size_t)tasks);
    windows_batch_affine<C>(&digits[(size_t)lo * m], m, hi - lo, gen.data(), bases, m, nb, hi == nwin ? lanes_top : -1,
                            &win[lo]);
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
