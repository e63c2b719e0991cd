#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the demo fleet.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bin/proofwatch demo "$@"
