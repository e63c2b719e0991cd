// The GPU pipeline on the grid emulator, behind the same GpuCircuit interface as the
// CUDA backend: `proofwatch-prover --backend cuda-emu` proves with it (tests only).
#include "cuda/emulator.h"
#include "cuda/groth16_gpu.h"

namespace pw {
namespace {

class EmulatedCircuit : public GpuCircuit {
 public:
  EmulatedCircuit(const Zkey& z, ThreadPool& pool) : ex_(pool), circuit_(ex_, z) {}
  MsmResults prove_msms(const std::vector<Fr>& a, const std::vector<Fr>& b, const std::vector<Fr>& c,
                     const std::vector<Scalar>& witness, bool h_bitflip, Timings* t) override {
    return circuit_.prove(a, b, c, witness, h_bitflip, t);
  }
  std::string describe() const override { return "CUDA kernels on the CPU grid emulator"; }

 private:
  gpu::EmuExec ex_;
  gpu::CircuitOn<gpu::EmuExec> circuit_;
};

}  // namespace

std::unique_ptr<GpuCircuit> make_emulated_circuit(const Zkey& zkey, ThreadPool& pool) {
  return std::unique_ptr<GpuCircuit>(new EmulatedCircuit(zkey, pool));
}

}  // namespace pw
