#!/usr/bin/env bash
# Builds the npm package into pkg/ (or $PKG_DIR): cargo (wasm32, release profile) → wasm-bindgen
# twice (web glue for browsers/bundlers/workerd, nodejs glue for synchronous Node loading; both
# use the same .wasm, checked here) → wasm-opt -Oz from npm binaryen 132 (the only wasm-opt that
# does not break wasm-bindgen output here; never Debian's) → scripts/package.mjs assembles the
# package from js/. WASM_OPT=0 skips wasm-opt (faster test builds).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --target wasm32-unknown-unknown --quiet
WASM=target/wasm32-unknown-unknown/release/flowgate.wasm
# PKG_DIR lets several builds run side by side (e.g. PKG_DIR=/tmp/pkg-mine); default pkg/.
PKG=${PKG_DIR:-pkg}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
wasm-bindgen --target web --out-dir "$TMP/web" --out-name flowgate_wasm "$WASM"
wasm-bindgen --target nodejs --out-dir "$TMP/node" --out-name flowgate_wasm "$WASM"
# The package ships one .wasm for both glues: only valid while wasm-bindgen emits the same module.
cmp -s "$TMP/web/flowgate_wasm_bg.wasm" "$TMP/node/flowgate_wasm_bg.wasm" || {
  echo "build.sh: wasm-bindgen produced different .wasm files for --target web and nodejs" >&2; exit 1; }
if [ "${WASM_OPT:-1}" = 1 ]; then
  [ -x node_modules/.bin/wasm-opt ] || {
    echo "build.sh: node_modules/.bin/wasm-opt missing: run 'npm ci' (or build with WASM_OPT=0)" >&2; exit 1; }
  # The feature flags match what rustc enables for wasm32 (toolchain.md §1).
  OPT_FLAGS=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue)
  # wasm-opt takes ~25 s: reuse its output while the input, flags and version are the same.
  KEY=$( { sha256sum < "$TMP/web/flowgate_wasm_bg.wasm"; echo "${OPT_FLAGS[*]}"; node_modules/.bin/wasm-opt --version; } \
    | sha256sum | cut -c1-32)
  CACHE=target/wasm-opt-cache/$KEY.wasm
  if [ ! -s "$CACHE" ]; then
    mkdir -p target/wasm-opt-cache && find target/wasm-opt-cache -name '*.wasm' -mtime +1 -delete
    node_modules/.bin/wasm-opt "${OPT_FLAGS[@]}" "$TMP/web/flowgate_wasm_bg.wasm" -o "$CACHE.$$.tmp"
    mv "$CACHE.$$.tmp" "$CACHE"
  fi
  cp "$CACHE" "$TMP/web/flowgate_wasm_bg.wasm"
fi
node scripts/package.mjs "$TMP/web" "$TMP/node" "$PKG"
raw=$(wc -c < "$PKG/flowgate_wasm_bg.wasm"); gz=$(gzip -9 -c "$PKG/flowgate_wasm_bg.wasm" | wc -c)
echo "$PKG/flowgate_wasm_bg.wasm: $raw bytes, $gz gzip"
