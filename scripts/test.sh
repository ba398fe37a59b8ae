#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need,
# builds once, runs every test. `.ci/run` calls exactly this.
#
#   scripts/test.sh            # everything
#   NORCLIN_SKIP_SETUP=1 ...   # skip package installs (already done)
set -euo pipefail
cd "$(dirname "$0")/.."

# Reuse one build folder across runs on this machine (CI keeps it in its cache).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/norclin/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR"

if [ -z "${NORCLIN_SKIP_SETUP:-}" ]; then
  scripts/setup.sh
fi

echo "== cargo test (unit, integration, doc, benches compiled) =="
cargo test --all-targets --locked
cargo test --doc --locked

for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $extra =="
  bash "$extra"
done
