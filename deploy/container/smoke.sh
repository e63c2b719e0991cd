#!/bin/sh
# Checks an installed proofwatch (what deploy/container/build.sh wrote to PREFIX) on the Node
# that will run it: the last step of each image, so that a runtime stage whose Node differs
# from the build stage's (better-sqlite3 and the addons are compiled against it), or a prover
# built without its CUDA backend, fails the build instead of a pod.
#   usage: smoke.sh PREFIX [--cuda | --no-prover]
#     --cuda       the prover must have its CUDA backend (Dockerfile.cuda)
#     --no-prover  the package was installed with PROOFWATCH_SKIP_PROVER_BUILD=1
set -eu
prefix=${1:?usage: smoke.sh PREFIX [--cuda | --no-prover]}
mode=${2:-}
package="$prefix/lib/node_modules/proofwatch"

"$prefix/bin/proofwatch" --version
node -e '
  const { createRequire } = require("node:module");
  const pkg = process.argv[1];
  const load = createRequire(pkg + "/package.json");
  const Database = load("better-sqlite3");
  new Database(":memory:").prepare("select 1").get();
  load(pkg + "/build/Release/proofwatch_nvml.node");
  load(pkg + "/build/Release/proofwatch_verifier.node");
  console.log("node " + process.version + ": better-sqlite3 and both addons load");
' "$package"
test -f "$package/build/Release/fake_nvml.so"

if [ "$mode" != --no-prover ]; then
  "$package/prover/build/proofwatch-prover" --version
  "$package/prover/build/proofwatch-prover-daemon" --help >/dev/null
  # cuda_stub.cpp, built in place of the backend when CMake found no nvcc, carries this text.
  if [ "$mode" = --cuda ] && grep -q "CUDA backend not built" "$package/prover/build/proofwatch-prover"; then
    echo "smoke: the prover was built without its CUDA backend (no nvcc found)" >&2
    exit 1
  fi
fi
echo "smoke: ok"
