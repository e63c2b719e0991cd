#include "groth16/prover.h"

#include <chrono>
#include <random>

#include "cuda/backend.h"
#include "msm/msm_cpu.h"
#include "util/error.h"
#include "util/splitmix.h"

namespace pw {

namespace {

using Clock = std::chrono::steady_clock;

struct PhaseTimer {
  Timings* t;
  Clock::time_point start = Clock::now();
  void lap(const char* name) {
    auto now = Clock::now();
    if (t) t->emplace_back(name, std::chrono::duration<double>(now - start).count());
    start = now;
  }
};

// Flips the lowest bit of x's normal form (bit 1 when bit 0 would leave the field).
Fr flip_bit(const Fr& x) {
  uint64_t v[4];
  x.to_normal(v);
  v[0] ^= 1;
  if (!Fr::is_canonical(v)) v[0] ^= 3;
  return Fr::from_normal(v);
}

}  // namespace

Fr random_fr(bool seeded, uint64_t& state) {
  static thread_local std::random_device rd;
  for (;;) {
    uint64_t v[4];
    for (auto& x : v) x = seeded ? splitmix64(state) : ((uint64_t)rd() << 32) ^ rd();
    v[3] &= 0x3fffffffffffffffULL;  // below 2^254, then reject >= r
    if (Fr::is_canonical(v)) return Fr::from_normal(v);
  }
}

Groth16Prover::Groth16Prover(const std::string& zkey_path, std::shared_ptr<ThreadPool> pool, bool check_points,
                             BackendOptions backend)
    : zkey_(load_zkey(zkey_path, check_points, pool.get())), backend_(backend), pool_(std::move(pool)) {
  init();
}

Groth16Prover::Groth16Prover(Zkey zkey, std::shared_ptr<ThreadPool> pool, BackendOptions backend)
    : zkey_(std::move(zkey)), backend_(backend), pool_(std::move(pool)) {
  init();
}

Groth16Prover::~Groth16Prover() = default;

void Groth16Prover::init() {
  if (backend_.kind == Backend::kCuda) gpu_ = make_cuda_circuit(zkey_, backend_.device);
  if (backend_.kind == Backend::kCudaEmulated) gpu_ = make_emulated_circuit(zkey_, *pool_);
  domain_.reset(new NttDomain(zkey_.log_domain, pool_.get()));
  coset_.resize(zkey_.domain_size);
  fill_powers(domain_->n_inv(), root_of_unity(zkey_.log_domain + 1), coset_.data(), coset_.size(), pool_.get());
}

Proof Groth16Prover::prove(const std::vector<Scalar>& witness, const ProveOptions& opt) const {
  const Zkey& z = zkey_;
  ThreadPool& pool = *pool_;
  if (witness.size() != z.n_vars) {
    throw ProverError(kExitMismatch, "witness has " + std::to_string(witness.size()) + " values but the zkey expects nVars = " +
                                         std::to_string(z.n_vars));
  }
  PhaseTimer timer{opt.timings};
  const size_t n = z.domain_size;

  // QAP evaluations on the domain: a = A.w, b = B.w, c = a*b. The witness limbs read as
  // Montgomery values w/R, the coefficients as v*R, so the products come out as v*w.
  std::vector<Fr> a(n, Fr::zero()), b(n, Fr::zero()), c(n);
  const Fr* wit = reinterpret_cast<const Fr*>(witness.data());
  static_assert(sizeof(Scalar) == sizeof(Fr), "Scalar and Fr share the limb layout");
  // Coefficients are ordered by constraint: each task takes a slice whose ends are moved
  // to row starts, so tasks write disjoint rows (2 tasks left 14 of 16 cores idle).
  const size_t parts = 4 * pool.size();
  pool.parallel_for(2 * parts, [&](size_t task) {
    const std::vector<Coef>& cs = task < parts ? z.coef_a : z.coef_b;
    std::vector<Fr>& out = task < parts ? a : b;
    const size_t p = task % parts;
    auto row_start = [&](size_t i) {
      while (i > 0 && i < cs.size() && cs[i].constraint == cs[i - 1].constraint) ++i;
      return i;
    };
    const size_t lo = row_start(cs.size() * p / parts), hi = row_start(cs.size() * (p + 1) / parts);
    for (size_t i = lo; i < hi; ++i) out[cs[i].constraint] += cs[i].value * wit[cs[i].signal];
  });
  pool.parallel_range(n, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) c[i] = a[i] * b[i];
  });
  if (opt.fault == Fault::kABitflip) a[n / 2] = flip_bit(a[n / 2]);
  if (opt.fault == Fault::kCBitflip) c[n / 2] = flip_bit(c[n / 2]);
  timer.lap("build_abc");

  using A1 = G1::Acc;
  using A2 = G2::Acc;
  A1 pa, pb1, pc, ph;
  A2 pb;
  if (gpu_) {
    const GpuCircuit::MsmResults g = gpu_->prove_msms(a, b, c, witness, opt.fault == Fault::kHBitflip, opt.timings);
    timer.start = Clock::now();
    pa = g.a;
    pb1 = g.b1;
    pb = g.b2;
    pc = g.c;
    ph = g.h;
  } else {
    // Values on the odd coset w_2N^(2i+1): interpolate, scale coefficient k by w_2N^k/N,
    // evaluate. There Z = x^N - 1 = -2, so a*b - c is h up to a constant the zkey's H
    // points already absorb.
    for (std::vector<Fr>* v : {&a, &b, &c}) {
      domain_->inverse(v->data(), pool, false);
      Fr* p = v->data();
      pool.parallel_range(n, [&](size_t lo, size_t hi) {
        for (size_t i = lo; i < hi; ++i) p[i] *= coset_[i];
      });
      domain_->forward(p, pool);
    }
    std::vector<Scalar> h(n);
    pool.parallel_range(n, [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) (a[i] * b[i] - c[i]).to_normal(h[i].l);
    });
    if (opt.fault == Fault::kHBitflip) h[n / 2].l[0] ^= 1;  // stays below 2^254, a valid MSM scalar
    std::vector<Fr>().swap(a);
    std::vector<Fr>().swap(b);
    std::vector<Fr>().swap(c);
    timer.lap("ntt");

    pa = msm_cpu<G1>(z.a.data(), witness.data(), z.n_vars, pool);
    timer.lap("msm_a");
    pb1 = msm_cpu<G1>(z.b1.data(), witness.data(), z.n_vars, pool);
    timer.lap("msm_b1");
    pb = msm_cpu<G2>(z.b2.data(), witness.data(), z.n_vars, pool);
    timer.lap("msm_b2");
    pc = msm_cpu<G1>(z.c.data(), witness.data() + z.n_public + 1, z.n_vars - z.n_public - 1, pool);
    timer.lap("msm_c");
    ph = msm_cpu<G1>(z.h.data(), h.data(), n, pool);
    timer.lap("msm_h");
  }

  uint64_t state = opt.seed;
  Fr r = random_fr(opt.seeded, state), s = random_fr(opt.seeded, state);
  uint64_t rl[4], sl[4], rsl[4];
  r.to_normal(rl);
  s.to_normal(sl);
  (-(r * s)).to_normal(rsl);
  const A1 delta1 = A1::from_affine(z.delta1);

  pa.add_affine(z.alpha1);
  pa.add(scalar_mul(delta1, rl));
  pb.add_affine(z.beta2);
  pb.add(scalar_mul(A2::from_affine(z.delta2), sl));
  pb1.add_affine(z.beta1);
  pb1.add(scalar_mul(delta1, sl));
  pc.add(ph);
  pc.add(scalar_mul(pa, sl));
  pc.add(scalar_mul(pb1, rl));
  pc.add(scalar_mul(delta1, rsl));

  Proof proof;
  proof.a = pa.to_affine();
  proof.b = pb.to_affine();
  proof.c = pc.to_affine();
  proof.public_signals.assign(witness.begin() + 1, witness.begin() + 1 + z.n_public);
  timer.lap("finalize");
  return proof;
}

}  // namespace pw
