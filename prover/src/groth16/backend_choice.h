// Which backend proves: the CLI and the prover daemon choose the same way.
#pragma once
#include <memory>
#include <string>

#include "groth16/prover.h"

namespace pw {

// "cpu", "cuda", "auto" (CUDA where device `device` is usable, else the CPU) or "cuda-emu"
// (tests). "cuda" without a usable device throws ProverError(kExitNoBackend) with the
// reason, before any zkey is read: operators scripting a fleet want the answer fast.
BackendOptions choose_backend(const std::string& name, int device);

// Loads the zkey for the chosen backend. With "auto", a device that will not take the
// circuit (out of memory, a driver error) leaves the proofs to the CPU, said on stderr.
std::unique_ptr<Groth16Prover> make_prover(const std::string& zkey_path, std::shared_ptr<ThreadPool> pool,
                                           bool check_points, const std::string& name, int device);

// Bytes a proof moved to and from the device, summed from its timings (0 on the CPU).
double device_bytes(const Timings& timings);

}  // namespace pw
