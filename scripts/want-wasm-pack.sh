#!/usr/bin/env bash
# Prints 1 when the wasm-pack check runs (setup.sh installs it, test.sh builds with it): in CI
# (CI set and not false/0) or when FLOWGATE_WASM_PACK=1; FLOWGATE_WASM_PACK=0 turns it off.
case "${FLOWGATE_WASM_PACK:-${CI:-}}" in
  '' | 0 | false) echo 0 ;;
  *) echo 1 ;;
esac
