// The CUDA executor behind msm_pipeline.h and groth16_gpu.h: stream-ordered device
// buffers, one compute stream, one copy stream fed through two pinned staging chunks
// (the host fills one while the DMA engine drains the other), CUB's radix sort, and the
// generic kernel that runs a kernels.h body per thread. Every CUDA call is CUDA_OK'd.
#pragma once
#include <cub/device/device_radix_sort.cuh>

#include <climits>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "cuda/backend.h"
#include "cuda/cuda_check.h"
#include "cuda/kernels.h"

namespace pw {
namespace gpu {

template <class K>
__global__ void run_body(K body, size_t count) {
  const size_t tid = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (tid < count) body(tid);
}

class CudaExec {
 public:
  template <class T>
  class Buf {
   public:
    Buf() = default;
    Buf(size_t n, cudaStream_t s) : s_(s) {
      if (n == 0) return;
      const size_t bytes = n * sizeof(T);
      cudaError_t e = cudaMallocAsync(reinterpret_cast<void**>(&p_), bytes, s);
      if (e != cudaSuccess) {
        std::string what = "cudaMallocAsync(" + std::to_string(bytes) + " bytes)";
        cuda_fail(e, what.c_str(), __FILE__, __LINE__);
      }
    }
    Buf(Buf&& o) noexcept : p_(o.p_), s_(o.s_) { o.p_ = nullptr; }
    Buf& operator=(Buf&& o) noexcept {
      if (this != &o) {
        release();
        p_ = o.p_;
        s_ = o.s_;
        o.p_ = nullptr;
      }
      return *this;
    }
    ~Buf() { release(); }
    T* get() const { return p_; }

   private:
    void release() {
      if (p_) CUDA_WARN(cudaFreeAsync(p_, s_));
      p_ = nullptr;
    }
    T* p_ = nullptr;
    cudaStream_t s_ = nullptr;
  };
  struct Token {
    cudaEvent_t done = nullptr;
  };

  static constexpr size_t kStageBytes = size_t(32) << 20;

  explicit CudaExec(int device) : device_(device) {
    CUDA_OK(cudaSetDevice(device));
    CUDA_OK(cudaStreamCreateWithFlags(&compute_, cudaStreamNonBlocking));
    CUDA_OK(cudaStreamCreateWithFlags(&copy_, cudaStreamNonBlocking));
    CUDA_OK(cudaEventCreateWithFlags(&compute_mark_, cudaEventDisableTiming));
    for (int i = 0; i < 2; ++i) {
      CUDA_OK(cudaMallocHost(reinterpret_cast<void**>(&stage_[i]), kStageBytes));
      CUDA_OK(cudaEventCreateWithFlags(&stage_free_[i], cudaEventDisableTiming));
      CUDA_OK(cudaEventRecord(stage_free_[i], copy_));
    }
  }
  ~CudaExec() {
    CUDA_WARN(cudaStreamSynchronize(compute_));
    CUDA_WARN(cudaStreamSynchronize(copy_));
    drop_transfers();
    CUDA_WARN(cudaEventDestroy(compute_mark_));
    for (int i = 0; i < 2; ++i) {
      CUDA_WARN(cudaEventDestroy(stage_free_[i]));
      CUDA_WARN(cudaFreeHost(stage_[i]));
    }
    CUDA_WARN(cudaStreamDestroy(copy_));
    CUDA_WARN(cudaStreamDestroy(compute_));
  }
  CudaExec(const CudaExec&) = delete;
  CudaExec& operator=(const CudaExec&) = delete;

  int device() const { return device_; }

  template <class T>
  Buf<T> alloc(size_t n) {
    return Buf<T>(n, compute_);
  }
  template <class T>
  void zero(T* p, size_t n) {
    if (n) CUDA_OK(cudaMemsetAsync(p, 0, n * sizeof(T), compute_));
  }
  template <class K>
  void launch(const K& body, size_t count) {
    if (count == 0) return;
    const size_t blocks = grid_blocks(count);
    if (blocks > (size_t)INT_MAX) throw ProverError(kExitInternal, "launch of " + std::to_string(count) + " threads is too large");
    run_body<K><<<(unsigned)blocks, kBlockThreads, 0, compute_>>>(body, count);
    cuda_check(cudaGetLastError(), __PRETTY_FUNCTION__, __FILE__, __LINE__);
  }
  void sort_pairs(const uint32_t* kin, const uint32_t* vin, uint32_t* kout, uint32_t* vout, size_t n, int key_bits) {
    if (n > (size_t)INT_MAX) throw ProverError(kExitInternal, "radix sort of " + std::to_string(n) + " pairs is too large");
    size_t temp_bytes = 0;
    CUDA_OK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, kin, kout, vin, vout, (int)n, 0, key_bits, compute_));
    Buf<unsigned char> temp(temp_bytes ? temp_bytes : 1, compute_);
    CUDA_OK(cub::DeviceRadixSort::SortPairs(temp.get(), temp_bytes, kin, kout, vin, vout, (int)n, 0, key_bits, compute_));
  }

  // Host -> device on the copy stream through the pinned chunks; returns the event the
  // compute stream must wait for (wait()) before reading dst.
  template <class T>
  Token upload(T* dst, const T* src, size_t n, const char* label) {
    Transfer tr{std::string("h2d_") + label, n * sizeof(T)};
    // dst comes from cudaMallocAsync on the compute stream: the copy stream may use it
    // only once that allocation is ordered before it.
    CUDA_OK(cudaEventRecord(compute_mark_, compute_));
    CUDA_OK(cudaStreamWaitEvent(copy_, compute_mark_, 0));
    CUDA_OK(cudaEventCreate(&tr.start));
    CUDA_OK(cudaEventCreate(&tr.end));
    CUDA_OK(cudaEventRecord(tr.start, copy_));
    const char* from = reinterpret_cast<const char*>(src);
    char* to = reinterpret_cast<char*>(dst);
    for (size_t off = 0; off < tr.bytes; off += kStageBytes) {
      const size_t len = tr.bytes - off < kStageBytes ? tr.bytes - off : kStageBytes;
      slot_ ^= 1;
      CUDA_OK(cudaEventSynchronize(stage_free_[slot_]));
      std::memcpy(stage_[slot_], from + off, len);
      CUDA_OK(cudaMemcpyAsync(to + off, stage_[slot_], len, cudaMemcpyHostToDevice, copy_));
      CUDA_OK(cudaEventRecord(stage_free_[slot_], copy_));
    }
    CUDA_OK(cudaEventRecord(tr.end, copy_));
    transfers_.push_back(tr);
    return Token{tr.end};
  }
  void wait(Token t) { CUDA_OK(cudaStreamWaitEvent(compute_, t.done, 0)); }

  // Device -> host, synchronous (small results: window sums, partials).
  template <class T>
  void download(T* dst, const T* src, size_t n, const char* label) {
    Transfer tr{std::string("d2h_") + label, n * sizeof(T)};
    CUDA_OK(cudaEventCreate(&tr.start));
    CUDA_OK(cudaEventCreate(&tr.end));
    CUDA_OK(cudaEventRecord(tr.start, compute_));
    CUDA_OK(cudaMemcpyAsync(dst, src, tr.bytes, cudaMemcpyDeviceToHost, compute_));
    CUDA_OK(cudaEventRecord(tr.end, compute_));
    CUDA_OK(cudaStreamSynchronize(compute_));
    transfers_.push_back(tr);
  }
  void sync() {
    CUDA_OK(cudaStreamSynchronize(copy_));
    CUDA_OK(cudaStreamSynchronize(compute_));
  }
  // Appends "<label>_bytes" and "<label>_seconds" (summed per label, GPU-timed between
  // events on the stream that moved the data), then forgets the transfers.
  void report(Timings* t) {
    sync();
    std::vector<std::pair<std::string, std::pair<double, double>>> sums;
    for (const Transfer& tr : transfers_) {
      float ms = 0;
      CUDA_OK(cudaEventElapsedTime(&ms, tr.start, tr.end));
      bool found = false;
      for (auto& s : sums) {
        if (s.first == tr.label) {
          s.second.first += (double)tr.bytes;
          s.second.second += ms / 1e3;
          found = true;
        }
      }
      if (!found) sums.push_back({tr.label, {(double)tr.bytes, ms / 1e3}});
    }
    drop_transfers();
    if (!t) return;
    for (auto& s : sums) {
      t->emplace_back(s.first + "_bytes", s.second.first);
      t->emplace_back(s.first + "_seconds", s.second.second);
    }
  }

 private:
  struct Transfer {
    std::string label;
    size_t bytes;
    cudaEvent_t start = nullptr, end = nullptr;
  };
  void drop_transfers() {
    for (Transfer& tr : transfers_) {
      CUDA_WARN(cudaEventDestroy(tr.start));
      CUDA_WARN(cudaEventDestroy(tr.end));
    }
    transfers_.clear();
  }

  int device_;
  cudaStream_t compute_ = nullptr, copy_ = nullptr;
  cudaEvent_t compute_mark_ = nullptr;
  char* stage_[2] = {nullptr, nullptr};
  cudaEvent_t stage_free_[2] = {nullptr, nullptr};
  int slot_ = 0;
  std::vector<Transfer> transfers_;
};

}  // namespace gpu
}  // namespace pw
