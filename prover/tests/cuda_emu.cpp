// prover-cuda-emu: the CUDA backend's kernel bodies (src/cuda/kernels.h) run on the CPU
// grid emulator and checked against the CPU backend, for test/prover-cuda. One request a
// line on stdin, whitespace-separated words, one JSON answer a line on stdout
// ({"error": "..."} on a bad request; the process goes on). Decimals are normal form.
//
//   g1_msm N x_1 y_1 s_1 ... x_N y_N s_N   -> {"emulated":[x,y],"cpu":[x,y],"window_bits":c,"pairs":P}
//   g1_msm_random LOG_N SEED SHAPE          -> {"equal":b,"emulated":[x,y],"cpu":[x,y],...}
//   g2_msm_random LOG_N SEED SHAPE          -> the same over G2 (coordinates as [c0,c1])
//   msm_stages LOG_N SEED SHAPE [CHUNK [SEG_LEN GROUP]] -> {"assign":b,"sort":b,"bounds":b,"buckets":b,"windows":b,"result":b,...}
//   ntt INVERSE N v_1 ... v_N               -> {"emulated":[...],"cpu":[...]}
//   ntt_random LOG_N SEED                   -> {"forward":b,"inverse":b,"stages":b,"launches":L}
//   sort_random N KEY_BITS SEED             -> {"equal":b}
// On a GPU (exit code and message of the CUDA backend otherwise, as {"error":...,"code":8}):
//   devices                                 -> {"count":N,"built":b,"why":"..."}
//   gpu_msm_random LOG_N SEED SHAPE DEVICE  -> {"equal":b,"gpu":[x,y],"cpu":[x,y],"gpu_seconds":t,"cpu_seconds":t}
//   gpu_g2_msm_random LOG_N SEED SHAPE DEVICE -> the same over G2
//   gpu_ntt_random LOG_N SEED DEVICE        -> {"forward":b,"inverse":b,"gpu_seconds":t,"cpu_seconds":t}
//   gpu_msm_profile LOG_N SEED SHAPE DEVICE REPS [CHUNK [SEG_LEN]] -> {"ones":s,...,"mean_msm_seconds":s} (resident data)
//   gpu_g2_msm_profile LOG_N SEED SHAPE DEVICE REPS [CHUNK [SEG_LEN]] -> the same over G2
//   gpu_msm_profile_count N SEED SHAPE DEVICE REPS [CHUNK [SEG_LEN]] -> G1, N points (any N)
//   gpu_error_probe DEVICE                  -> {"message":"..."}
//   gpu_hold_memory DEVICE LEAVE_MIB SECONDS -> {"taken_mib":M,"free_mib":F} once held, then
//                                              {"released_mib":M} when the memory is released
// SHAPE: mixed (zeros, ones, r-1, small, random, repeats), bits (0/1 only), zero, one,
// repeated (one scalar for all), full (random < r), infinity (some bases at infinity).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda/backend.h"
#include "cuda/emulator.h"
#include "cuda/msm_pipeline.h"
#include "bn254/ff/decimal.h"
#include "msm/msm_cpu.h"
#include "ntt/ntt_cpu.h"
#include "canary/inputs.h"
#include "util/error.h"
#include "util/splitmix.h"

using namespace pw;
using namespace pw::gpu;

namespace {

Scalar small(uint64_t v) { return Scalar{{v, 0, 0, 0}}; }

std::vector<Scalar> scalars_of(const std::string& shape, size_t n, uint64_t& st) {
  if (shape == "mixed") return mixed_scalars(n, st);
  std::vector<Scalar> s(n);
  const Scalar same = random_scalar(st);
  for (size_t i = 0; i < n; ++i) {
    if (shape == "bits") {
      s[i] = small(splitmix64(st) & 1);
    } else if (shape == "zero") {
      s[i] = small(0);
    } else if (shape == "one") {
      s[i] = small(1);
    } else if (shape == "repeated") {
      s[i] = same;
    } else if (shape == "full" || shape == "infinity") {
      s[i] = random_scalar(st);
    } else {
      throw std::runtime_error("unknown shape '" + shape + "'");
    }
  }
  return s;
}

// Random points (canary/inputs.h); the "infinity" shape puts every 7th at infinity.
template <class C>
std::vector<typename C::Aff> random_bases(size_t n, uint64_t& st, ThreadPool& pool, bool some_infinity) {
  if (!on_curve<C>(C::generator())) throw std::runtime_error("the curve's generator is not on the curve");
  return some_infinity ? seeded_bases<C>(n, st, pool, 7, 3) : seeded_bases<C>(n, st, pool);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o.push_back('\\');
    if ((unsigned char)c >= 0x20) o.push_back(c);
  }
  return o;
}

std::string quote(const std::string& s) { return "\"" + s + "\""; }
std::string dec(const Fq& x) { return quote(field_to_decimal(x)); }
std::string dec(const Fq2& x) { return "[" + dec(x.c0) + "," + dec(x.c1) + "]"; }
template <class Acc>
std::string out_point(const Acc& p) {
  const auto a = p.to_affine();
  return "[" + dec(a.x) + "," + dec(a.y) + "]";
}
const char* tf(bool b) { return b ? "true" : "false"; }
template <class Acc>
bool same_point(const Acc& a, const Acc& b) {
  const auto x = a.to_affine(), y = b.to_affine();
  return x.x == y.x && x.y == y.y;
}

template <class F>
F read_field(std::istream& in, const char* what) {
  std::string w;
  if (!(in >> w)) throw std::runtime_error(std::string("missing ") + what);
  F x;
  if (!parse_field(w, x)) throw std::runtime_error(std::string(what) + ": not a canonical field element: " + w);
  return x;
}
uint64_t read_u64(std::istream& in, const char* what) {
  std::string w;
  if (!(in >> w) || w.empty() || w.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error(std::string("missing or bad ") + what);
  return std::stoull(w);
}
std::string read_word(std::istream& in, const char* what) {
  std::string w;
  if (!(in >> w)) throw std::runtime_error(std::string("missing ") + what);
  return w;
}
int read_log(std::istream& in, int max) {
  uint64_t v = read_u64(in, "log_n");
  if ((int)v > max) throw std::runtime_error("log_n above " + std::to_string(max));
  return (int)v;
}

template <class C>
std::string msm_answer(const std::vector<typename C::Aff>& p, const std::vector<Scalar>& s, ThreadPool& pool) {
  EmuExec ex(pool);
  MsmPipeline<C, EmuExec> pipe(ex, p.data(), s.data(), p.size());
  const typename C::Acc emu = pipe.run();
  const typename C::Acc cpu = msm_cpu<C>(p.data(), s.data(), p.size(), pool);
  std::ostringstream o;
  o << "{\"equal\":" << tf(same_point(emu, cpu)) << ",\"emulated\":" << out_point(emu) << ",\"cpu\":" << out_point(cpu)
    << ",\"window_bits\":" << pipe.layout().c << ",\"windows\":" << pipe.layout().nwin << ",\"pairs\":" << pipe.pairs()
    << ",\"launches\":" << ex.launches() << ",\"sorts\":" << ex.sorts() << "}";
  return o.str();
}

// Each MSM stage against an independent host computation from the CPU backend's pieces
// (recode_signed, bucket_add, bucket_reduce of msm/pippenger.h; std::stable_sort).
std::string msm_stages(const std::vector<G1Aff>& p, const std::vector<Scalar>& s, ThreadPool& pool, uint32_t chunk,
                       uint32_t seg_len, uint32_t group) {
  const size_t n = p.size();
  EmuExec ex(pool);
  MsmPipeline<G1, EmuExec> pipe(ex, p.data(), s.data(), n, chunk, seg_len, group);
  const MsmLayout& L = pipe.layout();
  const size_t P = pipe.pairs();
  pipe.ones();
  pipe.assign();

  // Assignment: digits as the CPU recoder gives them.
  std::vector<int32_t> dig((size_t)L.nwin * n);
  for (size_t i = 0; i < n; ++i) recode_signed(s[i], L.c, L.nwin, &dig[i], n);
  bool assign = true;
  size_t live = 0;
  for (int w = 0; w < L.nwin; ++w) {
    for (size_t i = 0; i < n; ++i) {
      const size_t at = (size_t)w * n + i;
      const int32_t d = dig[at];
      const bool skip = s[i].is_zero() || s[i].is_one() || p[i].is_inf() || d == 0;
      const uint32_t key = skip ? L.nkeys : (uint32_t)w * L.nb + (uint32_t)(d < 0 ? -d : d) - 1;
      const uint32_t val = ((uint32_t)i << 1) | (d < 0 ? 1u : 0u);
      if (pipe.keys()[at] != key || pipe.vals()[at] != val) assign = false;
      live += !skip;
    }
  }
  std::vector<std::pair<uint32_t, uint32_t>> ref(P);
  for (size_t t = 0; t < P; ++t) ref[t] = {pipe.keys()[t], pipe.vals()[t]};
  std::stable_sort(ref.begin(), ref.end(), [](auto& a, auto& b) { return a.first < b.first; });

  pipe.sort();
  bool sort = true;
  for (size_t t = 0; t < P; ++t)
    if (pipe.sorted_keys()[t] != ref[t].first || pipe.sorted_vals()[t] != ref[t].second) sort = false;

  pipe.bounds();
  bool bounds = true;
  size_t nonempty = 0;
  for (uint32_t k = 0; k < L.nkeys; ++k) {
    auto lo = std::lower_bound(ref.begin(), ref.end(), k, [](auto& a, uint32_t v) { return a.first < v; });
    auto hi = std::upper_bound(ref.begin(), ref.end(), k, [](uint32_t v, auto& a) { return v < a.first; });
    const uint32_t b = (uint32_t)(lo - ref.begin()), e = (uint32_t)(hi - ref.begin());
    if (b == e) {
      if (pipe.bucket_end()[k] != pipe.bucket_start()[k]) bounds = false;
    } else {
      ++nonempty;
      if (pipe.bucket_start()[k] != b || pipe.bucket_end()[k] != e) bounds = false;
    }
  }

  pipe.accumulate();
  std::vector<G1::Acc> ref_buckets(L.nkeys, G1::Acc::infinity());
  for (int w = 0; w < L.nwin; ++w) {
    for (size_t i = 0; i < n; ++i) {
      if (s[i].is_zero() || s[i].is_one() || p[i].is_inf()) continue;
      bucket_add<G1>(&ref_buckets[(size_t)w * L.nb], dig[(size_t)w * n + i], p[i]);
    }
  }
  bool buckets = true;
  for (uint32_t k = 0; k < L.nkeys; ++k)
    if (!same_point(pipe.buckets()[k], ref_buckets[k])) buckets = false;

  pipe.reduce();
  bool windows = true;
  std::vector<G1::Acc> win(L.nwin);
  for (int w = 0; w < L.nwin; ++w) {
    win[w] = bucket_reduce<G1>(&ref_buckets[(size_t)w * L.nb], (int)L.nb);
    if (!same_point(pipe.windows()[w], win[w])) windows = false;
  }
  G1::Acc emu = pipe.finish("msm");
  G1::Acc cpu = msm_cpu<G1>(p.data(), s.data(), n, pool);
  std::ostringstream o;
  o << "{\"assign\":" << tf(assign) << ",\"sort\":" << tf(sort) << ",\"bounds\":" << tf(bounds)
    << ",\"buckets\":" << tf(buckets) << ",\"windows\":" << tf(windows) << ",\"result\":" << tf(same_point(emu, cpu))
    << ",\"window_bits\":" << L.c << ",\"pairs\":" << P << ",\"live_pairs\":" << live << ",\"nonempty_buckets\":" << nonempty
    << ",\"segments\":" << L.nseg << ",\"groups\":" << L.ngroups << ",\"chunk\":" << L.chunk << "}";
  return o.str();
}

void emulated_ntt(EmuExec& ex, std::vector<Fr>& v, int log_n, bool inverse) {
  std::vector<Fr> tw = twiddles(log_n, inverse);
  ntt(ex, v.data(), tw.data(), log_n);
  if (inverse) ex.launch(MulScalar{v.data(), Fr::from_u64(v.size()).inverse()}, v.size());
}

std::string fr_list(const std::vector<Fr>& v) {
  std::string o = "[";
  for (size_t i = 0; i < v.size(); ++i) o += (i ? "," : "") + quote(field_to_decimal(v[i]));
  return o + "]";
}

// gpu_msm_random / gpu_g2_msm_random: the CUDA MSM (transfers included) against msm_cpu.
template <class C, class GpuMsm>
std::string gpu_msm_answer(std::istream& in, ThreadPool& pool, GpuMsm gpu_msm) {
  const int log_n = read_log(in, 24);
  uint64_t st = read_u64(in, "seed");
  const std::string shape = read_word(in, "shape");
  const int device = (int)read_u64(in, "device");
  const size_t n = size_t(1) << log_n;
  std::vector<Scalar> s = scalars_of(shape, n, st);
  std::vector<typename C::Aff> p = random_bases<C>(n, st, pool, shape == "infinity");
  double gpu_s = 0;
  const typename C::Acc gpu = gpu_msm(device, p.data(), s.data(), n, &gpu_s);
  auto t0 = std::chrono::steady_clock::now();
  const typename C::Acc cpu = msm_cpu<C>(p.data(), s.data(), n, pool);
  const double cpu_s = seconds_since(t0);
  std::ostringstream o;
  o << "{\"equal\":" << tf(same_point(gpu, cpu)) << ",\"gpu\":" << out_point(gpu) << ",\"cpu\":" << out_point(cpu)
    << ",\"gpu_seconds\":" << gpu_s << ",\"cpu_seconds\":" << cpu_s << ",\"cpu_threads\":" << pool.size() << "}";
  return o.str();
}

// gpu_msm_profile / gpu_g2_msm_profile LOG_N SEED SHAPE DEVICE REPS [CHUNK [SEG_LEN]];
// by_count: the first word is the number of points instead of its log.
template <class C, class Profile>
std::string gpu_msm_profile(std::istream& in, ThreadPool& pool, Profile profile, bool by_count = false) {
  const size_t n = by_count ? (size_t)read_u64(in, "N") : size_t(1) << read_log(in, 24);
  if (n == 0 || n > (size_t(1) << 24)) throw std::runtime_error("N must be in 1..2^24");
  uint64_t st = read_u64(in, "seed");
  const std::string shape = read_word(in, "shape");
  const int device = (int)read_u64(in, "device");
  const int reps = (int)read_u64(in, "reps");
  std::string word;
  const uint32_t chunk = (in >> word) ? (uint32_t)std::stoul(word) : 0;
  const uint32_t seg_len = (in >> word) ? (uint32_t)std::stoul(word) : 0;
  std::vector<Scalar> s = scalars_of(shape, n, st);
  std::vector<typename C::Aff> p = random_bases<C>(n, st, pool, shape == "infinity");
  return profile(device, p.data(), s.data(), n, reps, chunk, seg_len);
}

std::string handle(const std::string& line, ThreadPool& pool) {
  std::istringstream in(line);
  const std::string op = read_word(in, "op");
  if (op == "g1_msm") {
    const uint64_t n = read_u64(in, "N");
    std::vector<G1Aff> p(n);
    std::vector<Scalar> s(n);
    for (size_t i = 0; i < n; ++i) {
      p[i].x = read_field<Fq>(in, "x");
      p[i].y = read_field<Fq>(in, "y");
      if (!on_curve<G1>(p[i])) throw std::runtime_error("point " + std::to_string(i) + " is not on the curve");
      read_field<Fr>(in, "scalar").to_normal(s[i].l);
    }
    return msm_answer<G1>(p, s, pool);
  }
  if (op == "g2_msm_random") {
    const int log_n = read_log(in, 16);
    uint64_t st = read_u64(in, "seed");
    const std::string shape = read_word(in, "shape");
    const size_t n = size_t(1) << log_n;
    std::vector<Scalar> s = scalars_of(shape, n, st);
    return msm_answer<G2>(random_bases<G2>(n, st, pool, shape == "infinity"), s, pool);
  }
  if (op == "g1_msm_random" || op == "msm_stages") {
    const int log_n = read_log(in, 20);
    uint64_t st = read_u64(in, "seed");
    const std::string shape = read_word(in, "shape");
    uint32_t extra[3] = {0, 0, 0};
    std::string word;
    for (int i = 0; i < 3 && op == "msm_stages" && (in >> word); ++i) extra[i] = (uint32_t)std::stoul(word);
    const size_t n = size_t(1) << log_n;
    std::vector<Scalar> s = scalars_of(shape, n, st);
    std::vector<G1Aff> p = random_bases<G1>(n, st, pool, shape == "infinity");
    return op == "g1_msm_random" ? msm_answer<G1>(p, s, pool) : msm_stages(p, s, pool, extra[0], extra[1], extra[2]);
  }
  if (op == "ntt") {
    const bool inverse = read_u64(in, "inverse") != 0;
    const uint64_t n = read_u64(in, "N");
    if (n == 0 || (n & (n - 1)) || n > (1u << 20)) throw std::runtime_error("N must be a power of two <= 2^20");
    int log_n = 0;
    while ((size_t(1) << log_n) < n) ++log_n;
    std::vector<Fr> v(n);
    for (auto& x : v) x = read_field<Fr>(in, "value");
    std::vector<Fr> cpu = v;
    EmuExec ex(pool);
    emulated_ntt(ex, v, log_n, inverse);
    NttDomain d(log_n);
    if (inverse) {
      d.inverse(cpu.data(), pool);
    } else {
      d.forward(cpu.data(), pool);
    }
    return "{\"emulated\":" + fr_list(v) + ",\"cpu\":" + fr_list(cpu) + "}";
  }
  if (op == "ntt_random") {
    const int log_n = read_log(in, 22);
    uint64_t st = read_u64(in, "seed");
    const size_t n = size_t(1) << log_n;
    std::vector<Fr> v(n);
    for (auto& x : v) {
      Scalar k = random_scalar(st);
      x = Fr::from_normal(k.l);
    }
    EmuExec ex(pool);
    NttDomain d(log_n);
    std::vector<Fr> emu = v, cpu = v;
    emulated_ntt(ex, emu, log_n, false);
    d.forward(cpu.data(), pool);
    const bool forward = emu == cpu;
    emulated_ntt(ex, emu, log_n, true);
    d.inverse(cpu.data(), pool);
    const bool inverse = emu == cpu && emu == v;
    // Stage by stage against the serial butterfly loop of ntt.h.
    std::vector<Fr> tw = twiddles(log_n, false), a = v, b = v;
    ex.launch(BitReverse{a.data(), log_n}, n);
    for (size_t i = 0; i < n; ++i) {
      size_t j = bit_reverse((uint32_t)i, log_n);
      if (i < j) std::swap(b[i], b[j]);
    }
    bool stages = a == b;
    for (int s = 0; s < log_n; ++s) {
      ex.launch(Butterfly{a.data(), tw.data(), s, log_n}, n / 2);
      for (size_t j = 0; j < n / 2; ++j) ntt_butterfly(b.data(), tw.data(), j, s, log_n);
      stages = stages && a == b;
    }
    std::ostringstream o;
    o << "{\"forward\":" << tf(forward) << ",\"inverse\":" << tf(inverse) << ",\"stages\":" << tf(stages)
      << ",\"launches\":" << ex.launches() << "}";
    return o.str();
  }
  if (op == "devices") {
    std::string why;
    const int count = cuda_device_count(&why);
    return "{\"count\":" + std::to_string(count) + ",\"built\":" + tf(cuda_backend_built()) + ",\"why\":\"" +
           escape(why) + "\"}";
  }
  if (op == "gpu_msm_random") return gpu_msm_answer<G1>(in, pool, cuda_g1_msm);
  if (op == "gpu_g2_msm_random") return gpu_msm_answer<G2>(in, pool, cuda_g2_msm);
  if (op == "gpu_ntt_random") {
    const int log_n = read_log(in, 26);
    uint64_t st = read_u64(in, "seed");
    const int device = (int)read_u64(in, "device");
    const size_t n = size_t(1) << log_n;
    std::vector<Fr> v(n);
    for (auto& x : v) {
      Scalar k = random_scalar(st);
      x = Fr::from_normal(k.l);
    }
    std::vector<Fr> gpu = v, cpu = v;
    double gpu_s = 0, gpu_inv_s = 0;
    cuda_ntt(device, gpu.data(), log_n, false, &gpu_s);
    NttDomain d(log_n);
    auto t0 = std::chrono::steady_clock::now();
    d.forward(cpu.data(), pool);
    const double cpu_s = seconds_since(t0);
    const bool forward = gpu == cpu;
    cuda_ntt(device, gpu.data(), log_n, true, &gpu_inv_s);
    const bool inverse = gpu == v;
    std::ostringstream o;
    o << "{\"forward\":" << tf(forward) << ",\"inverse\":" << tf(inverse) << ",\"gpu_seconds\":" << gpu_s
      << ",\"gpu_inverse_seconds\":" << gpu_inv_s << ",\"cpu_seconds\":" << cpu_s << "}";
    return o.str();
  }
  if (op == "gpu_msm_profile") return gpu_msm_profile<G1>(in, pool, cuda_g1_msm_profile);
  if (op == "gpu_g2_msm_profile") return gpu_msm_profile<G2>(in, pool, cuda_g2_msm_profile);
  if (op == "gpu_msm_profile_count") return gpu_msm_profile<G1>(in, pool, cuda_g1_msm_profile, true);
  if (op == "gpu_hold_memory") {
    const int device = (int)read_u64(in, "device");
    const size_t leave_mib = read_u64(in, "leave_mib");
    const double seconds = (double)read_u64(in, "seconds");
    // The first line goes out while the memory is held, so that a script can go on then.
    return cuda_hold_memory(device, leave_mib, seconds, [](const std::string& held) {
      std::cout << held << std::endl;
    });
  }
  if (op == "gpu_error_probe") {
    const int device = (int)read_u64(in, "device");
    return "{\"message\":\"" + escape(cuda_error_probe(device)) + "\"}";
  }
  if (op == "sort_random") {
    const uint64_t n = read_u64(in, "N");
    const int bits = (int)read_u64(in, "key_bits");
    uint64_t st = read_u64(in, "seed");
    if (n > (1u << 24) || bits < 1 || bits > 32) throw std::runtime_error("N <= 2^24 and 1 <= key_bits <= 32");
    std::vector<uint32_t> k(n), v(n), ko(n), vo(n);
    const uint64_t mask = bits == 32 ? 0xffffffffULL : ((1ULL << bits) - 1);
    for (size_t i = 0; i < n; ++i) {
      k[i] = (uint32_t)(splitmix64(st) & mask & (i % 3 ? ~0ULL : 0xfULL));  // many repeats
      v[i] = (uint32_t)i;
    }
    counting_sort_pairs(k.data(), v.data(), ko.data(), vo.data(), n, bits);
    std::vector<uint32_t> idx(n);
    for (size_t i = 0; i < n; ++i) idx[i] = (uint32_t)i;
    std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return k[a] < k[b]; });
    bool eq = true;
    for (size_t i = 0; i < n; ++i)
      if (ko[i] != k[idx[i]] || vo[i] != v[idx[i]]) eq = false;
    return std::string("{\"equal\":") + tf(eq) + "}";
  }
  throw std::runtime_error("unknown op '" + op + "'");
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = 0;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--threads") threads = (unsigned)std::stoul(argv[i + 1]);
  ThreadPool pool(threads);
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      std::cout << handle(line, pool) << "\n";
    } catch (const ProverError& e) {
      std::cout << "{\"error\":\"" << escape(e.what()) << "\",\"code\":" << e.code << "}\n";
    } catch (const std::exception& e) {
      std::cout << "{\"error\":\"" << escape(e.what()) << "\"}\n";
    }
    std::cout.flush();
  }
  return 0;
}
