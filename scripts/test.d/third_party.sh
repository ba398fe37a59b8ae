#!/usr/bin/env bash
# The binary prints the licences of the crates compiled into it
# (`norclin --licenses`, from rules/THIRD_PARTY.md). Fails when that file no
# longer matches Cargo.lock's dependency graph.
set -euo pipefail
cd "$(dirname "$0")/../.."
if python3 scripts/licenses/third_party.py --check; then
  echo "third_party: 1 passed, 0 failed"
else
  echo "third_party: 0 passed, 1 failed"; exit 1
fi
