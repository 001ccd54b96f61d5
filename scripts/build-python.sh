#!/usr/bin/env bash
# Builds the python variant of the npm package into pkg/python (or $PKG_DIR/python): the core
# plus expression policies run in monty (cargo feature `python`). Same steps as scripts/build.sh
# — cargo (wasm32, release profile) → wasm-bindgen web + nodejs (one .wasm) → wasm-opt -Oz from
# npm binaryen 132 → scripts/package.mjs with the same JS facade from js/ — but with its own
# cargo target dir (target/python), so that it never overwrites the core build's .wasm, and the
# package named `flowgate-python`; its one module also imports blueprints (the feature `python`
# includes `blueprint`), so it has no separate blueprint module. WASM_OPT=0 skips wasm-opt (about a minute on this module).
# MONTY_OPT_LEVEL=s (or 1/2/3) compiles the interpreter for speed instead of size: measured on
# 2026-11-23, "s" made expression calls about 1.7x faster for about +130 KB gzip.
# The module links with an 8 MiB stack (Rust's wasm default is 1 MiB): monty's parser and value
# conversions recurse up to its nesting limits, which takes more than 1 MiB.
# Run it after scripts/build.sh: the core build recreates pkg/ (and so removes pkg/python).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
TARGET_DIR=${PYTHON_TARGET_DIR:-target/python}
OPT=()
case "${MONTY_OPT_LEVEL:-}" in
  "") ;;
  [0-3]) OPT=(--config "profile.release.package.monty.opt-level=$MONTY_OPT_LEVEL") ;;
  s|z) OPT=(--config "profile.release.package.monty.opt-level=\"$MONTY_OPT_LEVEL\"") ;;
  *) echo "build-python.sh: MONTY_OPT_LEVEL must be 0-3, s or z" >&2; exit 2 ;;
esac
cargo build --release --target wasm32-unknown-unknown --features python --target-dir "$TARGET_DIR" \
  --config 'target.wasm32-unknown-unknown.rustflags = ["-C", "link-arg=-zstack-size=8388608"]' \
  ${OPT[@]+"${OPT[@]}"} --quiet
WASM=$TARGET_DIR/wasm32-unknown-unknown/release/flowgate.wasm
PKG=${PKG_DIR:-pkg}/python
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
wasm-bindgen --target web --out-dir "$TMP/web" --out-name flowgate_wasm "$WASM"
wasm-bindgen --target nodejs --out-dir "$TMP/node" --out-name flowgate_wasm "$WASM"
cmp -s "$TMP/web/flowgate_wasm_bg.wasm" "$TMP/node/flowgate_wasm_bg.wasm" || {
  echo "build-python.sh: wasm-bindgen produced different .wasm files for --target web and nodejs" >&2; exit 1; }
if [ "${WASM_OPT:-1}" = 1 ]; then
  [ -x node_modules/.bin/wasm-opt ] || {
    echo "build-python.sh: node_modules/.bin/wasm-opt missing: run 'npm ci' (or build with WASM_OPT=0)" >&2; exit 1; }
  node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$TMP/web/flowgate_wasm_bg.wasm" -o "$TMP/web/flowgate_wasm_bg.wasm"
fi
node scripts/package.mjs "$TMP/web" "$TMP/node" "$PKG"
# The same package under its own name: a host picks the build it wants (`npm i flowgate-python`,
# or an alias `"flowgate": "npm:flowgate-python@…"`).
node -e '
  const fs = require("node:fs"), f = process.argv[1], p = JSON.parse(fs.readFileSync(f, "utf8"));
  p.name = "flowgate-python";
  p.description += ", with expression policies (Python) run in a sandboxed interpreter";
  p.keywords = [...(p.keywords ?? []), "python"];
  fs.writeFileSync(f, JSON.stringify(p, null, 2) + "\n");' "$PKG/package.json"
raw=$(wc -c < "$PKG/flowgate_wasm_bg.wasm"); gz=$(gzip -9 -c "$PKG/flowgate_wasm_bg.wasm" | wc -c)
echo "$PKG/flowgate_wasm_bg.wasm: $raw bytes, $gz gzip"
