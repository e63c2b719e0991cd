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
# shellcheck disable=SC2046 # the library's flags are words on purpose
g++ -std=gnu++17 $(sh bn254/compile-flags.sh "$(uname -m)") -fno-rtti -Wall -Wextra \
  -Ibn254/include -Iverifier/native/src \
  bench/verifier/profile.cc verifier/native/src/groth16_verifier.cc bn254/src/pairing/pairing.cpp \
  bn254/src/ff/decimal.cpp -o "$out/profile"
"$out/profile" "$out/$circuit.txt" "${2:-1}"
