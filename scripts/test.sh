#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit/property tests (native), the npm package
# build, then the JS suites (API, conformance vectors, packaging, browsers, workers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH" CARGO_TERM_COLOR=never
t0=$SECONDS; step() { echo "== [$((SECONDS - t0))s] $*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy (native and wasm32)"
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown -- -D warnings
step "cargo test"
cargo test --quiet 2>&1 | grep -v '^$'
step "build the npm package"
bash scripts/build.sh
step "node --test js-tests/"
node --test js-tests/
step "done in $((SECONDS - t0))s"
