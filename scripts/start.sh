#!/usr/bin/env bash
# Builds flowgate and runs the demo against the sample snapshot.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOWGATE_SKIP_CHROMIUM=1 bash scripts/setup.sh
WASM_OPT=${WASM_OPT:-0} bash scripts/build.sh
node examples/demo.mjs "$@"
