#!/usr/bin/env bash
# Rebuilds rules/langid/model.bin from Debian word lists, wordfreq and the
# tuning half of the UD dev sentences. Needs root for apt-get (or the
# packages already installed). Deterministic: same inputs, same bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
for p in wnorwegian hunspell-no wdanish wswedish wbritish; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get install -y "${need[@]}"
fi
scripts/langid/setup_venv.sh
# The eval files (and the tuning half the model reads) come from the shared
# UD dev sentences; rebuild them when that folder is present.
if [ -d /work/shared/data/langid ]; then
    python3 scripts/langid/make_eval.py /work/shared/data/langid
fi
target/langid-venv/bin/python scripts/langid/build_model.py rules/langid/model.bin
