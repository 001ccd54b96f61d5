#!/usr/bin/env bash
# `npm run fuzz`: a long property/fuzz campaign on the Rust core (SECURITY.md). Runs the seeded
# generators of tests/robustness.rs (mutated snapshots and requests: no panic, all-or-nothing
# loading) and tests/properties.rs (determinism, filterUsers/applications/evaluate agreement,
# plan JSON round trip, order independence) in --release with CASES cases each (default
# 200000), plus the ReDoS timings of tests/regex_safety.rs, then prints the cases tried.
#   CASES=2000000 npm run fuzz     a longer campaign (CI runs a few hundred per property)
# Failures print the property and the seed (properties) so that they can be replayed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH" CARGO_TERM_COLOR=never
export FLOWGATE_FUZZ_CASES="${CASES:-200000}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
t0=$SECONDS
echo "== fuzz: FLOWGATE_FUZZ_CASES=$FLOWGATE_FUZZ_CASES (release build)"
status=0
cargo test --release --test robustness --test properties --test regex_safety \
  -- --nocapture --test-threads=2 2>&1 | tee "$log" || status=$?
echo "== cases tried"
grep -E '^[a-z_]+: [0-9]+ cases' "$log" | sed 's/^/   /' || true
total=$(grep -oE '^[a-z_]+: [0-9]+ cases' "$log" | awk '{ s += $2 } END { print s + 0 }')
echo "== total: $total generated cases in $((SECONDS - t0)) s ($([ $status -eq 0 ] && echo passed || echo FAILED))"
exit $status
