#!/usr/bin/env bash
# Builds every native part from source: the NVML addon and fake-nvml (node-gyp),
# then the bundled prover (CMake) where its sources are present.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
npx --no-install node-gyp rebuild -j "$jobs"
if [ -f prover/CMakeLists.txt ]; then
  cmake -S prover -B prover/build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build prover/build -j "$jobs"
fi
