#!/usr/bin/env bash
# `npm run bench`: builds the package into bench/out/pkg (unless FLOWGATE_PKG names a built
# package), runs the native benches (cargo bench, divan) into bench/out/native.txt, then every JS
# scenario (bench/run.mjs), which prints the figures, the goals and the Wasm/native ratios, and
# writes bench/out/results.json, figures.md and scaling.svg. Fails on any decision mismatch.
#   FLOWGATE_PKG=/tmp/pkg-x  use that package, no build      WASM_OPT=0  build without wasm-opt
#   BENCH_NATIVE=0           skip cargo bench                 (the machine has 2 shared cores:
#                                                              figures are only as quiet as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH" CARGO_TERM_COLOR=never
t0=$SECONDS; step() { echo "== [$((SECONDS - t0))s] $*"; }
mkdir -p bench/out

if [ -z "${FLOWGATE_PKG:-}" ]; then
  step "build the package into bench/out/pkg (WASM_OPT=${WASM_OPT:-1})"
  PKG_DIR=bench/out/pkg bash scripts/build.sh
  export FLOWGATE_PKG="$PWD/bench/out/pkg"
fi

rm -f bench/out/native.txt
if [ "${BENCH_NATIVE:-1}" = 1 ]; then
  step "cargo bench --bench engine (native, release profile)"
  cargo bench --quiet --bench engine 2>&1 | tee bench/out/native.txt
fi

step "node --test bench/ (the binding's fast paths answer as the general path)"
node --test bench/

step "node bench/run.mjs"
node bench/run.mjs
step "done in $((SECONDS - t0))s"
