#!/usr/bin/env bash
# Builds the npm package into pkg/: cargo (wasm32, release) → wasm-bindgen → wasm-opt (npm
# binaryen 132, the only wasm-opt that does not break wasm-bindgen output here) → hand-written
# JS files from js/. Set WASM_OPT=0 to skip wasm-opt (faster test builds).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --target wasm32-unknown-unknown --quiet
WASM=target/wasm32-unknown-unknown/release/flowgate.wasm
# PKG_DIR lets several builds run side by side (e.g. PKG_DIR=/tmp/pkg-mine); default pkg/.
PKG=${PKG_DIR:-pkg}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/nodejs"
wasm-bindgen --target nodejs --out-dir "$TMP/nodejs" --out-name flowgate_wasm "$WASM"
if [ "${WASM_OPT:-1}" = 1 ] && [ -x node_modules/.bin/wasm-opt ]; then
  node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$TMP/nodejs/flowgate_wasm_bg.wasm" -o "$TMP/nodejs/flowgate_wasm_bg.wasm"
fi
rm -rf "$PKG" && mkdir -p "$PKG"
cp "$TMP/nodejs/flowgate_wasm.js" "$TMP/nodejs/flowgate_wasm_bg.wasm" "$PKG/"
cp js/api.cjs js/index.cjs js/index.mjs js/index.d.ts js/package.json "$PKG/"
cp README.md "$PKG/" 2>/dev/null || true
raw=$(wc -c < "$PKG/flowgate_wasm_bg.wasm"); gz=$(gzip -9 -c "$PKG/flowgate_wasm_bg.wasm" | wc -c)
echo "$PKG/flowgate_wasm_bg.wasm: $raw bytes, $gz gzip"
