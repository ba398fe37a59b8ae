#!/usr/bin/env bash
# Runs every fuzz target for a fixed time (default 60 s each) with libFuzzer:
# the ingest parsers (ingest_jsonl, ingest_csv, ingest_parquet) and the PHI
# detector with the surrogate writer (deid_detect).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# Installs cargo-fuzz from crates.io when missing. The stable toolchain is
# used with RUSTC_BOOTSTRAP=1 for the sanitizer flags cargo-fuzz passes.
# Exits non-zero on the first crash; crash inputs land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/norclin/fuzz-target}"
cd fuzz
for target in $(cargo fuzz list); do
  echo "== fuzz $target for ${SECONDS_PER_TARGET}s =="
  # New inputs go to a scratch corpus beside the build; the seeds in
  # fuzz/corpus/ are read, never added to.
  mkdir -p "corpus/$target" "$CARGO_TARGET_DIR/corpus/$target"
  cargo fuzz run "$target" "$CARGO_TARGET_DIR/corpus/$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10
done
