// Groth16 prover over BN254 for snarkjs zkeys: load a proving key once, prove many
// witnesses. The CPU backend lives here; the CUDA backend (src/cuda) keeps the zkey's G1
// points resident on the GPU and runs the NTTs and G1 MSMs there, the G2 MSM overlapped
// on the CPU.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/formats.h"
#include "ntt/ntt_cpu.h"
#include "bn254/util/thread_pool.h"

namespace pw {

enum class Fault { kNone, kHBitflip, kABitflip, kCBitflip };

struct Proof {
  G1Aff a;
  G2Aff b;
  G1Aff c;
  std::vector<Scalar> public_signals;  // w[1..nPublic], normal form
};

// Seconds per phase, in the order they ran.
using Timings = std::vector<std::pair<std::string, double>>;

struct ProveOptions {
  Fault fault = Fault::kNone;
  bool seeded = false;  // reproducible blinding r, s from seed (tests only)
  uint64_t seed = 0;
  Timings* timings = nullptr;
};

class GpuCircuit;

// kCudaEmulated: the CUDA pipeline on the CPU grid emulator (tests of the GPU code
// without a GPU; slow).
enum class Backend { kCpu, kCuda, kCudaEmulated };

struct BackendOptions {
  Backend kind = Backend::kCpu;
  int device = 0;  // CUDA device index
};

class Groth16Prover {
 public:
  // check_points: verify every zkey point is on its curve while loading.
  // A CUDA backend that cannot start throws ProverError (kExitNoBackend: not built, no
  // such device; kExitInternal: a CUDA error, out of device memory).
  Groth16Prover(const std::string& zkey_path, std::shared_ptr<ThreadPool> pool, bool check_points = true,
                BackendOptions backend = {});
  Groth16Prover(Zkey zkey, std::shared_ptr<ThreadPool> pool, BackendOptions backend = {});
  ~Groth16Prover();

  const Zkey& zkey() const { return zkey_; }
  Backend backend() const { return backend_.kind; }
  // Throws ProverError(kExitMismatch) when the witness does not fit the circuit.
  Proof prove(const std::vector<Scalar>& witness, const ProveOptions& opt = {}) const;

 private:
  void init();
  Zkey zkey_;
  BackendOptions backend_;
  std::unique_ptr<GpuCircuit> gpu_;
  std::shared_ptr<ThreadPool> pool_;
  std::unique_ptr<NttDomain> domain_;
  std::vector<Fr> coset_;  // w_2N^k / N: unscaled inverse NTT -> odd-coset coefficients
};

// Random Fr below r from /dev/urandom (or a splitmix64 stream when seeded).
Fr random_fr(bool seeded, uint64_t& state);

}  // namespace pw
