#!/usr/bin/env bash
# Builds bench/verifier/profile.cc against the verifier's sources (same flags as the addon)
# and runs it on the multi_io fixture (or the circuit given), dumped by dump-fixture.mjs.
#   bash bench/verifier/profile.sh [circuit] [seconds-per-row]
set -euo pipefail
cd "$(dirname "$0")/../.."
circuit=${1:-multi_io}
out=${PROFILE_OUT:-build/verifier-profile}
mkdir -p "$out"
node bench/verifier/dump-fixture.mjs "$circuit" "$out/$circuit.txt"
g++ -std=gnu++17 -O3 -fno-exceptions -fno-rtti -Wall -Wextra -Iprover/src -Iverifier/native/src \
  bench/verifier/profile.cc verifier/native/src/groth16_verifier.cc prover/src/pairing/pairing.cpp \
  prover/src/ff/decimal.cpp -o "$out/profile"
"$out/profile" "$out/$circuit.txt" "${2:-1}"
