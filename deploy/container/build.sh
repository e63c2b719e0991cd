#!/usr/bin/env bash
# The build stage of deploy/container/Dockerfile and Dockerfile.cuda, as a script so that it
# also runs outside Docker (test/deploy/npm-install.test.ts runs it): packs the checkout it
# sits in as `npm publish` would, installs that package into PREFIX as `npm install -g` does,
# which builds the native parts and the prover from the packed sources (scripts/build-native.sh;
# with the CUDA backend where nvcc is found), then drops the build intermediates. The image
# carries PREFIX alone: PREFIX/bin/proofwatch and PREFIX/lib/node_modules/proofwatch.
#   usage: deploy/container/build.sh PREFIX
# Extra npm flags (for example --prefer-offline) come from NPM_FLAGS; PACK_DIR keeps the
# packed tarball (by default it goes to a temporary folder, removed at the end).
set -euo pipefail
prefix=${1:?usage: deploy/container/build.sh PREFIX}
cd "$(dirname "$0")/../.."
read -r -a npm_flags <<<"${NPM_FLAGS:-}"
work=${PACK_DIR:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

# TypeScript, for the pack's `prepare` (dist/). No install scripts: nothing native is built
# in the checkout. A checkout that has its dependencies (node_modules/.bin/tsc) keeps them:
# `npm ci` would delete and reinstall them.
if [ ! -x node_modules/.bin/tsc ]; then
  npm ci --ignore-scripts --no-audit --no-fund "${npm_flags[@]}"
fi
npm pack --pack-destination "$work" "${npm_flags[@]}" >/dev/null
tarball=$(realpath "$work"/proofwatch-*.tgz)
# npm releases with an install-script policy (`allow-scripts`) warn about, or with
# strict-allow-scripts refuse, a global install's scripts not listed: the package's own (named
# by its path, as it comes from a file) builds the addons and the prover, better-sqlite3's
# fetches or builds SQLite, protobufjs's checks its version.
install_flags=()
if [ "$(npm config get strict-allow-scripts)" != undefined ]; then
  install_flags+=("--allow-scripts=$tarball,better-sqlite3,protobufjs")
  # npm 11.19's check reads the global folder before the install makes it.
  mkdir -p "$prefix/lib/node_modules"
fi
npm install --global --prefix "$prefix" --no-audit --no-fund "${install_flags[@]}" \
  "${npm_flags[@]}" "$tarball"

# What runs is the addons, fake-nvml, nvml_probe and the two prover binaries; the object files
# and CMake's state beside them are a few tens of MB the image need not carry.
package="$prefix/lib/node_modules/proofwatch"
rm -rf "$package/build/Release/obj.target" "$package/build/Release/.deps" "$package/build/Release/obj"
if [ -d "$package/prover/build" ]; then
  find "$package/prover/build" -mindepth 1 -maxdepth 1 \
    ! -name proofwatch-prover ! -name proofwatch-prover-daemon -exec rm -rf {} +
fi
"$prefix/bin/proofwatch" --version
