// `proofwatch-prover canary ...` (argv[0] is "canary"): returns the exit status.
#pragma once

namespace pw {
namespace canary {

int command(int argc, char** argv);

}  // namespace canary
}  // namespace pw
