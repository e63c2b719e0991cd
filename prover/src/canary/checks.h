// The canary's checks written once against an executor (cuda/cuda_exec.cuh on a GPU,
// cuda/emulator.h on the CPU), as the prover's own pipeline is: the same launches a
// proof makes, on the known answers' inputs.
#pragma once
#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "canary/canary.h"
#include "canary/kernels.h"
#include "cuda/msm_pipeline.h"

namespace pw {
namespace canary {

template <class Exec>
class Checks {
 public:
  template <class T>
  using Buf = typename Exec::template Buf<T>;

  Checks(Exec& ex, Fault fault, Report& out) : ex_(ex), fault_(fault), out_(out) {}

  void run_all(const KnownAnswers& ka, double share, const std::function<uint64_t()>& free_bytes) {
    for (size_t i = 0; i < ka.g1.size(); ++i) msm<G1>("g1_msm", ka.g1[i], fault_ == Fault::kG1Msm && i + 1 == ka.g1.size());
    for (size_t i = 0; i < ka.g2.size(); ++i) msm<G2>("g2_msm", ka.g2[i], fault_ == Fault::kG2Msm && i + 1 == ka.g2.size());
    for (size_t i = 0; i < ka.ntt.size(); ++i) ntt(ka.ntt[i], fault_ == Fault::kNtt && i + 1 == ka.ntt.size());
    if (share > 0) memory(share, free_bytes, fault_ == Fault::kMemory);
  }

 private:
  using Clock = std::chrono::steady_clock;

  // Runs one check; an exception (a CUDA error, out of memory) fails it with the message.
  template <class F>
  void timed(CheckResult r, F&& body) {
    const auto t0 = Clock::now();
    try {
      body(r);
      r.passed = r.mismatches == 0 && r.passed;
    } catch (const std::exception& e) {
      r.passed = false;
      r.detail = std::string("error: ") + e.what();
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    out_.checks.push_back(r);
  }

  template <class C>
  void msm(const char* kind, const MsmCase<C>& mc, bool inject) {
    const size_t n = mc.bases.size();
    CheckResult r;
    r.kind = kind;
    r.size = n;
    r.name = std::string(kind) + "_" + std::to_string(n);
    timed(r, [&](CheckResult& res) {
      Buf<typename C::Aff> bases = ex_.template alloc<typename C::Aff>(n);
      Buf<Scalar> scalars = ex_.template alloc<Scalar>(n);
      ex_.wait(ex_.upload(bases.get(), mc.bases.data(), n, "canary_bases"));
      ex_.wait(ex_.upload(scalars.get(), mc.scalars.data(), n, "canary_scalars"));
      gpu::MsmPipeline<C, Exec> pipe(ex_, bases.get(), scalars.get(), n);
      pipe.ones();
      pipe.assign();
      pipe.sort();
      pipe.bounds();
      pipe.accumulate();
      pipe.reduce();
      if (inject) ex_.launch(FlipWordBit{reinterpret_cast<uint64_t*>(pipe.windows_for_fault()), 0}, 1);
      const typename C::Acc got = pipe.finish("canary_result");
      ex_.report(nullptr);
      const auto g = got.to_affine(), e = mc.expected.to_affine();
      res.mismatches = (g.x == e.x && g.y == e.y) ? 0 : 1;
      res.passed = true;
      const gpu::MsmLayout& L = pipe.layout();
      res.detail = "window bits " + std::to_string(L.c) + ", " + std::to_string(L.nwin) + " windows, " +
                   std::to_string(L.nseg) + " segments of " + std::to_string(L.seg_len) + " buckets in " +
                   std::to_string(L.ngroups) + " groups, " + std::to_string(L.chunk) + " pairs per accumulation thread";
      if (res.mismatches) res.detail = "result differs from the CPU backend's (" + res.detail + ")";
    });
  }

  void ntt(const NttCase& nc, bool inject) {
    const size_t n = nc.input.size();
    std::vector<Fr> forward(n), back(n);
    CheckResult fwd;
    fwd.kind = "ntt_forward";
    fwd.size = n;
    fwd.name = "ntt_forward_" + std::to_string(n);
    bool ran = false;
    timed(fwd, [&](CheckResult& res) {
      std::vector<Fr> tw = gpu::twiddles(nc.log_n, false), itw = gpu::twiddles(nc.log_n, true);
      Buf<Fr> values = ex_.template alloc<Fr>(n), dtw = ex_.template alloc<Fr>(tw.size()),
              ditw = ex_.template alloc<Fr>(itw.size());
      ex_.wait(ex_.upload(dtw.get(), tw.data(), tw.size(), "canary_twiddles"));
      ex_.wait(ex_.upload(ditw.get(), itw.data(), itw.size(), "canary_twiddles"));
      ex_.wait(ex_.upload(values.get(), nc.input.data(), n, "canary_values"));
      gpu::ntt(ex_, values.get(), dtw.get(), nc.log_n);
      if (inject) ex_.launch(FlipWordBit{reinterpret_cast<uint64_t*>(values.get() + n / 2), 0}, 1);
      ex_.download(forward.data(), values.get(), n, "canary_values");
      // The round trip on the device: inverse NTT of the forward result, times 1/n.
      gpu::ntt(ex_, values.get(), ditw.get(), nc.log_n);
      ex_.launch(gpu::MulScalar{values.get(), Fr::from_u64(n).inverse()}, n);
      ex_.download(back.data(), values.get(), n, "canary_values");
      ex_.report(nullptr);
      for (size_t i = 0; i < n; ++i) res.mismatches += !(forward[i] == nc.forward[i]);
      res.passed = true;
      res.detail = res.mismatches ? std::to_string(res.mismatches) + " of " + std::to_string(n) +
                                        " values differ from the CPU backend's forward NTT"
                                  : std::to_string(nc.log_n) + " butterfly stages";
      ran = true;
    });
    CheckResult rt;
    rt.kind = "ntt_roundtrip";
    rt.size = n;
    rt.name = "ntt_roundtrip_" + std::to_string(n);
    timed(rt, [&](CheckResult& res) {
      if (!ran) throw std::runtime_error("the forward NTT did not run");
      for (size_t i = 0; i < n; ++i) res.mismatches += !(back[i] == nc.input[i]);
      res.passed = true;
      res.detail = res.mismatches ? std::to_string(res.mismatches) + " of " + std::to_string(n) +
                                        " values differ from the input after forward and inverse NTT"
                                  : "inverse of the forward NTT equals the input";
    });
  }

  // Buffers of at most kMemoryChunk bytes until the share is reached (or the device
  // refuses one: another process took memory since it was measured), all held at once so
  // the pass covers that much distinct memory; two passes, the pattern then its complement.
  void memory(double share, const std::function<uint64_t()>& free_bytes, bool inject) {
    CheckResult r;
    r.kind = "memory";
    r.name = "memory";
    timed(r, [&](CheckResult& res) {
      const uint64_t free_now = free_bytes();
      out_.free_bytes = free_now;
      const uint64_t target = (uint64_t)((double)free_now * share) / 8 * 8;
      std::vector<Buf<uint64_t>> bufs;
      std::vector<size_t> words;
      uint64_t taken = 0;
      std::string short_by;
      while (taken < target) {
        const uint64_t len = std::min<uint64_t>(kMemoryChunk, target - taken) / 8;
        if (len == 0) break;
        try {
          bufs.push_back(ex_.template alloc<uint64_t>(len));
        } catch (const std::exception& e) {
          short_by = std::string(" (stopped short: ") + e.what() + ")";
          break;
        }
        words.push_back(len);
        taken += len * 8;
      }
      out_.tested_bytes = taken;
      res.size = taken;
      std::vector<uint64_t> bad(kMemoryThreads), first(kMemoryThreads);
      uint64_t first_bad = UINT64_MAX, first_mask = 0;
      for (uint64_t mask : {uint64_t(0), ~uint64_t(0)}) {
        uint64_t index = 0;
        for (size_t b = 0; b < bufs.size(); ++b) {
          const size_t threads = std::min<size_t>(words[b], kMemoryThreads);
          ex_.launch(FillPattern{bufs[b].get(), words[b], threads, index, mask}, threads);
          index += words[b];
        }
        if (inject && mask == 0 && !bufs.empty()) {
          const size_t b = bufs.size() / 2;
          ex_.launch(FlipWordBit{bufs[b].get(), words[b] / 2}, 1);
        }
        index = 0;
        Buf<uint64_t> dbad = ex_.template alloc<uint64_t>(kMemoryThreads), dfirst = ex_.template alloc<uint64_t>(kMemoryThreads);
        for (size_t b = 0; b < bufs.size(); ++b) {
          const size_t threads = std::min<size_t>(words[b], kMemoryThreads);
          ex_.launch(CheckPattern{bufs[b].get(), words[b], threads, index, mask, dbad.get(), dfirst.get()}, threads);
          ex_.download(bad.data(), dbad.get(), threads, "canary_memory");
          ex_.download(first.data(), dfirst.get(), threads, "canary_memory");
          for (size_t t = 0; t < threads; ++t) {
            res.mismatches += bad[t];
            if (bad[t] && index + first[t] < first_bad) {
              first_bad = index + first[t];
              first_mask = mask;
            }
          }
          index += words[b];
        }
      }
      ex_.report(nullptr);
      res.passed = true;
      const std::string mib = std::to_string(taken >> 20) + " MiB of " + std::to_string(free_now >> 20) + " MiB free";
      res.detail = res.mismatches ? std::to_string(res.mismatches) + (res.mismatches == 1 ? " word" : " words") +
                                        " read back wrong, the first at byte " +
                                        std::to_string(first_bad * 8) + (first_mask ? " (complement pass)" : " (first pass)") +
                                        "; " + mib + short_by
                                  : mib + ", 2 patterns written and read back" + short_by;
    });
  }

  static constexpr uint64_t kMemoryChunk = uint64_t(1) << 30;
  static constexpr size_t kMemoryThreads = size_t(1) << 18;
  Exec& ex_;
  Fault fault_;
  Report& out_;
};

}  // namespace canary
}  // namespace pw
