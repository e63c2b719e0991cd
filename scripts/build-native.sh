#!/usr/bin/env bash
# Builds every native part from source: the NVML addon and fake-nvml (node-gyp),
# then the bundled prover (CMake) where its sources are present. It is the package's
# `install` script, so it runs in a checkout (`npm ci`), in an installed package
# (`npm install -g proofwatch`) and in the image's build stage, none of which need git.
#
# A checkout (it has test/) builds every prover target, the tests' tools included; an
# installed package only the two binaries it runs (proofwatch-prover and the prover
# service's proofwatch-prover-daemon), which saves about half the prover's build.
# PROOFWATCH_SKIP_PROVER_BUILD=1 skips the prover altogether (minutes on two cores): for
# hosts that only run the exporter, verifier or quarantine service, and for the package
# install test. `proofwatch prover` then has no daemon to start and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
npx --no-install node-gyp rebuild -j "$jobs"
if [ "${PROOFWATCH_SKIP_PROVER_BUILD:-}" = 1 ]; then
  echo "proofwatch: PROOFWATCH_SKIP_PROVER_BUILD=1, the prover is not built" >&2
elif [ -f prover/CMakeLists.txt ]; then
  cmake -S prover -B prover/build -DCMAKE_BUILD_TYPE=Release >/dev/null
  if [ -d test ]; then
    cmake --build prover/build -j "$jobs"
  else
    cmake --build prover/build -j "$jobs" --target proofwatch-prover proofwatch-prover-daemon
  fi
fi
