#!/usr/bin/env bash
# Fresh machine to working tree: system packages, npm dependencies, native builds, TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund
