#!/usr/bin/env bash
# Builds the npm package into pkg/: cargo (wasm32, release) → wasm-bindgen → wasm-opt (npm
# binaryen 132, the only wasm-opt that does not break wasm-bindgen output here) → hand-written
# JS files from js/. Set WASM_OPT=0 to skip wasm-opt (faster test builds).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --target wasm32-unknown-unknown --quiet
WASM=target/wasm32-unknown-unknown/release/flowgate.wasm
rm -rf pkg build/nodejs && mkdir -p pkg build
wasm-bindgen --target nodejs --out-dir build/nodejs --out-name flowgate_wasm "$WASM"
if [ "${WASM_OPT:-1}" = 1 ] && [ -x node_modules/.bin/wasm-opt ]; then
  node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    build/nodejs/flowgate_wasm_bg.wasm -o build/nodejs/flowgate_wasm_bg.wasm
fi
cp build/nodejs/flowgate_wasm.js build/nodejs/flowgate_wasm_bg.wasm pkg/
cp js/api.cjs js/index.cjs js/index.mjs js/index.d.ts js/package.json pkg/
cp README.md pkg/ 2>/dev/null || true
raw=$(wc -c < pkg/flowgate_wasm_bg.wasm); gz=$(gzip -9 -c pkg/flowgate_wasm_bg.wasm | wc -c)
echo "pkg/flowgate_wasm_bg.wasm: $raw bytes, $gz gzip"
