#!/usr/bin/env bash
# The playground: installs what is missing (no Chromium needed), builds the npm package and the
# page, then serves www/ on http://127.0.0.1:<port> and prints the URL. Everything runs in the
# browser; nothing is fetched from the network at run time.
#
#   scripts/start.sh                 build, then serve the playground (PORT=8080 by default;
#                                    the next free port if it is taken)
#   scripts/start.sh --demo [user]   build, then run examples/demo.mjs in Node instead
#
# WASM_OPT=1 runs wasm-opt for a smaller page (slower build); the default skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOWGATE_SKIP_CHROMIUM=1 bash scripts/setup.sh
WASM_OPT=${WASM_OPT:-0} bash scripts/build.sh
if [ "${1:-}" = --demo ]; then
  shift
  exec node examples/demo.mjs "$@"
fi
node www/build.mjs
exec node www/serve.mjs --port "${PORT:-8080}" "$@"
