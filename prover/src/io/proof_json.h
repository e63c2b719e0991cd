// snarkjs proof.json / public.json output.
#pragma once
#include <string>

#include "groth16/prover.h"

namespace pw {

std::string proof_to_json(const Proof& p);
std::string public_to_json(const Proof& p);
// Writes atomically enough for our callers (temp file + rename); throws kExitOutput.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace pw
