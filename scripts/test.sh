#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit/property tests (native), the npm package
# build (release + wasm-opt), `wasm-pack build` (CI only, see want-wasm-pack.sh), then the JS
# suites in js-tests/: API, conformance vectors (built and packed package), Node entries, npm
# pack, TypeScript declarations, size budget, Chromium (plain ESM and an esbuild bundle), workerd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH" CARGO_TERM_COLOR=never
t0=$SECONDS; step() { echo "== [$((SECONDS - t0))s] $*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy (native; wasm32: core, blueprint and python modules)"
cargo clippy --quiet --all-targets --features blueprint -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --features blueprint -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --features python -- -D warnings
step "cargo test"
cargo test --quiet --features blueprint 2>&1 | grep -v '^$'
step "cargo test --features python (expression policies)"
cargo test --quiet --features python --lib policy::expression 2>&1 | grep -v '^$'
step "build the npm package (scripts/build.sh)"
bash scripts/build.sh
if [ "$(bash scripts/want-wasm-pack.sh)" = 1 ]; then
  # Contributors may use wasm-pack: keep `wasm-pack build` working offline (Cargo.toml metadata
  # turns its wasm-opt download off). Same profile and target dir as above: no recompilation.
  step "wasm-pack build --mode no-install"
  WP_OUT=$(mktemp -d)
  if ! wasm-pack build --mode no-install --target web --out-dir "$WP_OUT" >"$WP_OUT.log" 2>&1 \
    || ! test -s "$WP_OUT/flowgate_bg.wasm"; then
    cat "$WP_OUT.log"; echo "wasm-pack build failed" >&2; exit 1
  fi
  ls -l "$WP_OUT"/flowgate_bg.wasm
  rm -rf "$WP_OUT" "$WP_OUT.log"
fi
step "build the python package (scripts/build-python.sh)"
bash scripts/build-python.sh
step "node --test js-tests/"
FLOWGATE_PYTHON_REQUIRED=1 node --test js-tests/
step "done in $((SECONDS - t0))s"
