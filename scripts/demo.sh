#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the demo fleet
# (demo/README.md). Arguments go to `proofwatch demo` (e.g. --duration 2m).
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages where the machine allows (root or sudo, apt). Without Prometheus or
# Alertmanager the demo still runs and says what it runs without; without a compiler the
# build below fails and says why.
if ! bash scripts/install-system-deps.sh; then
  echo "demo: could not install the missing Debian packages; going on with what is here" >&2
fi
# npm ci builds the native parts and dist/; where they are built already, only the TypeScript
# is compiled again (seconds), so that dist/ is never older than the sources.
if [ ! -d node_modules ] || [ ! -f build/Release/fake_nvml.so ] || [ ! -x prover/build/proofwatch-prover-daemon ]; then
  npm ci --no-audit --no-fund
else
  npx tsc -p tsconfig.build.json
fi
exec bin/proofwatch demo "$@"
