#include "ntt/ntt_cpu.h"

#include <stdexcept>
#include <utility>

namespace pw {

void fill_powers(const Fr& start, const Fr& step, Fr* out, size_t n, ThreadPool* pool) {
  auto slice = [&](size_t b, size_t e) {
    const uint64_t k[4] = {b, 0, 0, 0};
    Fr acc = start * step.pow(k);
    for (size_t i = b; i < e; ++i) {
      out[i] = acc;
      acc *= step;
    }
  };
  if (pool) {
    pool->parallel_range(n, slice, 4096);
  } else {
    slice(0, n);
  }
}

NttDomain::NttDomain(int log_n, ThreadPool* pool) : log_n_(log_n), n_(size_t(1) << log_n) {
  if (log_n < 0 || log_n > FrParams::TWO_ADICITY) throw std::invalid_argument("NTT size out of range");
  omega_ = root_of_unity(log_n);
  const Fr winv = omega_.inverse();
  const size_t h = n_ / 2;
  tw_.resize(h > 0 ? h : 1);
  itw_.resize(h > 0 ? h : 1);
  tw_[0] = itw_[0] = Fr::one();
  fill_powers(Fr::one(), omega_, tw_.data(), h, pool);
  fill_powers(Fr::one(), winv, itw_.data(), h, pool);
  n_inv_ = Fr::from_u64(n_).inverse();
}

void NttDomain::run(Fr* a, const std::vector<Fr>& tw, ThreadPool& pool) const {
  if (n_ == 1) return;
  const size_t min_chunk = 4096;
  pool.parallel_range(
      n_,
      [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
          size_t j = bit_reverse((uint32_t)i, log_n_);
          if (i < j) std::swap(a[i], a[j]);
        }
      },
      min_chunk);
  const Fr* t = tw.data();
  // The first stages stay inside blocks of 2^local elements (a few hundred KiB, cache
  // resident): one task per block runs them all, so the pool synchronises once for
  // them instead of once per stage.
  const int local = log_n_ < 12 ? log_n_ : 12;
  pool.parallel_for(n_ >> local, [&](size_t blk) {
    Fr* base = a + (blk << local);
    for (int s = 0; s < local; ++s) {
      for (size_t j = 0; j < (size_t(1) << (local - 1)); ++j) ntt_butterfly(base, t, j, s, log_n_);
    }
  });
  for (int s = local; s < log_n_; ++s) {
    pool.parallel_range(
        n_ / 2,
        [&](size_t b, size_t e) {
          for (size_t j = b; j < e; ++j) ntt_butterfly(a, t, j, s, log_n_);
        },
        min_chunk);
  }
}

void NttDomain::inverse(Fr* a, ThreadPool& pool, bool scale) const {
  run(a, itw_, pool);
  if (!scale) return;
  pool.parallel_range(n_, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) a[i] *= n_inv_;
  });
}

}  // namespace pw
