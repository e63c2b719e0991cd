// CPU NTT driver: precomputed twiddles per domain, stages split across the pool.
#pragma once
#include <vector>

#include "ntt/ntt.h"
#include "bn254/util/thread_pool.h"

namespace pw {

// out[i] = start * step^i for i < n; with a pool, in slices that each begin with one
// exponentiation (a serial chain of 2^16 products takes about 2 ms).
void fill_powers(const Fr& start, const Fr& step, Fr* out, size_t n, ThreadPool* pool);

class NttDomain {
 public:
  explicit NttDomain(int log_n, ThreadPool* pool = nullptr);  // 0 <= log_n <= 28; pool for the twiddles
  int log_n() const { return log_n_; }
  size_t size() const { return n_; }
  const Fr& omega() const { return omega_; }
  const Fr& n_inv() const { return n_inv_; }

  // In place. forward: a_k = sum_j a_j w^jk. inverse: the same with w^-1, then times
  // 1/n unless scale is false (callers that fold 1/n into a later pass).
  void forward(Fr* a, ThreadPool& pool) const { run(a, tw_, pool); }
  void inverse(Fr* a, ThreadPool& pool, bool scale = true) const;

 private:
  void run(Fr* a, const std::vector<Fr>& tw, ThreadPool& pool) const;
  int log_n_;
  size_t n_;
  Fr omega_, n_inv_;
  std::vector<Fr> tw_, itw_;
};

}  // namespace pw
