#!/usr/bin/env bash
# Installs what flowgate needs on a fresh Debian machine, idempotently (a re-run costs about a
# second): the wasm32 target, the wasm-bindgen CLI equal to Cargo.lock's wasm-bindgen, Debian's
# Chromium (browser tests), the npm dev dependencies (binaryen 132's wasm-opt, esbuild, miniflare,
# playwright-core, typescript) and, only where it is used (CI, or FLOWGATE_WASM_PACK=1), wasm-pack.
# Only package registries are used: crates.io, Debian, npm (no GitHub downloads).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { echo "== setup: $*"; }

rustup target list --installed | grep -qx wasm32-unknown-unknown || { say "rustup target add wasm32"; rustup target add wasm32-unknown-unknown; }
for c in clippy rustfmt; do
  rustup component list --installed 2>/dev/null | grep -q "^$c" || { say "rustup component add $c"; rustup component add "$c"; }
done

WB_VER=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WB_VER" ]; then
  say "cargo install wasm-bindgen-cli $WB_VER (about 3 minutes)"
  # --locked can fail when the registry index lacks a locked dependency; retry unlocked.
  cargo install wasm-bindgen-cli --version "$WB_VER" --locked --force \
    || cargo install wasm-bindgen-cli --version "$WB_VER" --force
fi

# wasm-pack is only for contributors' `wasm-pack build` and CI's check that it keeps working
# (scripts/test.sh); the package build does not need it. About 2.5 minutes to install.
if [ "$(bash scripts/want-wasm-pack.sh)" = 1 ] && ! command -v wasm-pack >/dev/null; then
  say "cargo install wasm-pack (about 3 minutes)"
  cargo install wasm-pack --locked || cargo install wasm-pack
fi

if [ "${FLOWGATE_SKIP_CHROMIUM:-0}" != 1 ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    say "apt-get install chromium (about 1 minute)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "chromium is missing and this is not root: browser tests will be skipped"
  fi
fi

if [ ! -d node_modules ] || [ ! node_modules/.package-lock.json -nt package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
