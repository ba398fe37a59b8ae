#!/usr/bin/env bash
# Token shards load in pyarrow, polars and HF datasets with the same rows and
# ids, and Python tokenizers encode notes to the ids norclin wrote
# (scripts/interop/run.sh; creates its venv on first use).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${CARGO_TARGET_DIR:-target}/debug/norclin"
[ -x "$BIN" ] || cargo build --locked -q --bin norclin
NORCLIN_BIN="$(realpath "$BIN")" bash scripts/interop/run.sh
echo "tokenize interop: 1 passed, 0 failed"
