#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (idempotent).
# Each scripts/setup.d/*.sh adds the needs of one topic.
set -euo pipefail
cd "$(dirname "$0")/.."
for part in scripts/setup.d/*.sh; do
  [ -e "$part" ] || continue
  echo "== setup: $part =="
  bash "$part"
done
