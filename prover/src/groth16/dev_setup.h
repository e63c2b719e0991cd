// INSECURE Groth16 setup for tests and benchmarks: the toxic waste comes from a fixed
// seed, so anyone can forge proofs for keys made here. Never use for real circuits.
#pragma once
#include <string>

#include "bn254/util/thread_pool.h"

namespace pw {

// Reads a circom .r1cs and writes a snarkjs-compatible Groth16 .zkey (protocol 1).
void insecure_dev_setup(const std::string& r1cs_path, const std::string& zkey_path, ThreadPool& pool,
                        bool verbose = true);

}  // namespace pw
