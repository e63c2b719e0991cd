// Grid emulator: runs the CUDA kernel bodies of kernels.h on the CPU over the same
// (blockIdx, threadIdx) grid the CUDA launcher uses, with host memory standing in for
// device memory and a stable LSD counting sort standing in for CUB's radix sort (same
// contract: ascending by the low key_bits bits, equal keys keep their input order).
// It lets every run of the tests check bucket assignment, sorting, accumulation,
// reduction and the NTT stages without a GPU. Blocks run in parallel on the pool;
// threads of a block in order (the bodies never communicate within a launch).
#pragma once
#include <chrono>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "cuda/backend.h"
#include "cuda/kernels.h"
#include "bn254/util/thread_pool.h"

namespace pw {
namespace gpu {

// Stable counting sort of (key, value) pairs, 8 bits a pass over the low key_bits bits.
void counting_sort_pairs(const uint32_t* keys_in, const uint32_t* vals_in, uint32_t* keys_out, uint32_t* vals_out,
                         size_t n, int key_bits);

struct TransferLog {
  // label -> (bytes, seconds), in order of first use.
  std::vector<std::pair<std::string, std::pair<double, double>>> items;
  void add(const std::string& label, double bytes, double seconds) {
    for (auto& it : items) {
      if (it.first == label) {
        it.second.first += bytes;
        it.second.second += seconds;
        return;
      }
    }
    items.push_back({label, {bytes, seconds}});
  }
};

class EmuExec {
 public:
  // Owning host buffer; filled with 0xff bytes on allocation, as device memory is not
  // zeroed, so a body that reads what nobody wrote gives a wrong answer in the tests.
  template <class T>
  class Buf {
   public:
    Buf() = default;
    explicit Buf(size_t n) : v_(n) {
      if (n) std::memset(static_cast<void*>(v_.data()), 0xff, n * sizeof(T));
    }
    T* get() { return v_.empty() ? nullptr : v_.data(); }
    const T* get() const { return v_.empty() ? nullptr : v_.data(); }

   private:
    std::vector<T> v_;
  };
  struct Token {};

  explicit EmuExec(ThreadPool& pool, unsigned block = kBlockThreads) : pool_(pool), block_(block) {}

  template <class T>
  Buf<T> alloc(size_t n) {
    return Buf<T>(n);
  }
  template <class T>
  void zero(T* p, size_t n) {
    if (n) std::memset(static_cast<void*>(p), 0, n * sizeof(T));
  }
  template <class K>
  void launch(const K& body, size_t count) {
    if (count == 0) return;
    ++launches_;
    const unsigned block = block_;
    pool_.parallel_for(grid_blocks(count, block), [&](size_t bx) {
      for (unsigned tx = 0; tx < block; ++tx) {
        const size_t tid = bx * block + tx;  // blockIdx.x * blockDim.x + threadIdx.x
        if (tid < count) body(tid);
      }
    });
  }
  void sort_pairs(const uint32_t* kin, const uint32_t* vin, uint32_t* kout, uint32_t* vout, size_t n, int key_bits) {
    ++sorts_;
    counting_sort_pairs(kin, vin, kout, vout, n, key_bits);
  }
  template <class T>
  Token upload(T* dst, const T* src, size_t n, const char* label) {
    auto t0 = std::chrono::steady_clock::now();
    if (n) std::memcpy(static_cast<void*>(dst), src, n * sizeof(T));
    log_.add(std::string("h2d_") + label, double(n * sizeof(T)),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return Token{};
  }
  void wait(Token) {}
  template <class T>
  void download(T* dst, const T* src, size_t n, const char* label) {
    auto t0 = std::chrono::steady_clock::now();
    if (n) std::memcpy(static_cast<void*>(dst), src, n * sizeof(T));
    log_.add(std::string("d2h_") + label, double(n * sizeof(T)),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  void sync() {}
  // Appends "<label>_bytes" and "<label>_seconds" per transfer label, then forgets them.
  void report(Timings* t) {
    if (t) {
      for (auto& it : log_.items) {
        t->emplace_back(it.first + "_bytes", it.second.first);
        t->emplace_back(it.first + "_seconds", it.second.second);
      }
    }
    log_.items.clear();
  }

  size_t launches() const { return launches_; }
  size_t sorts() const { return sorts_; }
  TransferLog& transfers() { return log_; }

 private:
  ThreadPool& pool_;
  unsigned block_;
  size_t launches_ = 0, sorts_ = 0;
  TransferLog log_;
};

}  // namespace gpu
}  // namespace pw
