#!/usr/bin/env bash
# Builds the npm package into pkg/ (or $PKG_DIR). Two Wasm modules from this crate:
# * the core (default features): everything but blueprint import;
# * the blueprint module (`--features blueprint`): the core plus blueprintsToSnapshot, loaded
#   only by hosts that import blueprints (docs/packaging.md).
# Each: cargo (wasm32, release profile) → wasm-bindgen twice (web glue for browsers/bundlers/
# workerd, nodejs glue for synchronous Node loading; both use the same .wasm, checked here) →
# wasm-opt -Oz from npm binaryen 132 (the only wasm-opt that does not break wasm-bindgen output
# here; never Debian's). Then scripts/package.mjs assembles the package from js/.
# WASM_OPT=0 skips wasm-opt (faster test builds).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# PKG_DIR lets several builds run side by side (e.g. PKG_DIR=/tmp/pkg-mine); default pkg/.
PKG=${PKG_DIR:-pkg}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
if [ "${WASM_OPT:-1}" = 1 ] && [ ! -x node_modules/.bin/wasm-opt ]; then
  echo "build.sh: node_modules/.bin/wasm-opt missing: run 'npm ci' (or build with WASM_OPT=0)" >&2; exit 1
fi

# module <out name> <glue dir> <cargo feature args…>
module() {
  local name=$1 dir=$2; shift 2
  cargo build --release --target wasm32-unknown-unknown --quiet "$@"
  local wasm=target/wasm32-unknown-unknown/release/flowgate.wasm
  wasm-bindgen --target web --out-dir "$dir/web" --out-name "$name" "$wasm"
  wasm-bindgen --target nodejs --out-dir "$dir/node" --out-name "$name" "$wasm"
  # The package ships one .wasm for both glues: only valid while wasm-bindgen emits the same module.
  cmp -s "$dir/web/${name}_bg.wasm" "$dir/node/${name}_bg.wasm" || {
    echo "build.sh: wasm-bindgen produced different $name .wasm files for --target web and nodejs" >&2; exit 1; }
  if [ "${WASM_OPT:-1}" = 1 ]; then
    # The feature flags match what rustc enables for wasm32 (toolchain.md §1).
    local flags=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
      --enable-mutable-globals --enable-reference-types --enable-multivalue)
    # wasm-opt takes ~25 s: reuse its output while the input, flags and version are the same.
    local key cache
    key=$( { sha256sum < "$dir/web/${name}_bg.wasm"; echo "${flags[*]}"; node_modules/.bin/wasm-opt --version; } \
      | sha256sum | cut -c1-32)
    cache=target/wasm-opt-cache/$key.wasm
    if [ ! -s "$cache" ]; then
      mkdir -p target/wasm-opt-cache && find target/wasm-opt-cache -name '*.wasm' -mtime +1 -delete
      node_modules/.bin/wasm-opt "${flags[@]}" "$dir/web/${name}_bg.wasm" -o "$cache.$$.tmp"
      mv "$cache.$$.tmp" "$cache"
    fi
    cp "$cache" "$dir/web/${name}_bg.wasm"
  fi
}

module flowgate_wasm "$TMP/core"
module flowgate_blueprint "$TMP/blueprint" --features blueprint
node scripts/package.mjs "$TMP/core/web" "$TMP/core/node" "$PKG" "$TMP/blueprint/web" "$TMP/blueprint/node"
for f in flowgate_wasm_bg.wasm flowgate_blueprint_bg.wasm; do
  raw=$(wc -c < "$PKG/$f"); gz=$(gzip -9 -c "$PKG/$f" | wc -c)
  echo "$PKG/$f: $raw bytes, $gz gzip"
done
