#!/usr/bin/env bash
# norclin langid vs lingua-language-detector on the same gold files, in one
# run. Usage: scripts/langid/compare.sh [NORCLIN_BINARY] [REPEAT]
# Build an optimised binary first, e.g.
#   cargo build --release            (target/release/norclin), or, reusing
#   the opt-level-3 dev dependencies: CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo build
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/norclin}
REPEAT=${2:-20}
scripts/langid/setup_venv.sh >/dev/null
FILES=(rules/langid/eval/sentences.heldout.tsv rules/langid/eval/snippets.heldout.tsv
       rules/langid/eval/docs.heldout.tsv rules/langid/eval/clinical.dev.tsv
       rules/langid/eval/synth.dev.tsv)
echo "# $(date -u +%FT%TZ) on $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## norclin langid ($BIN, --repeat $REPEAT)"
"$BIN" -q langid eval --repeat "$REPEAT" --gold "${FILES[@]}"
echo "## lingua-language-detector (5 languages, preloaded models)"
target/langid-venv/bin/python scripts/langid/lingua_eval.py "${FILES[@]}"
