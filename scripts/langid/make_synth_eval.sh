#!/usr/bin/env bash
# Builds rules/langid/eval/synth.dev.tsv: note-level gold (nob, nno, mixed)
# from `norclin synth` (synthetic clinical notes, no real patient data).
# Usage: scripts/langid/make_synth_eval.sh [NORCLIN_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/debug/norclin}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BIN" -q synth --notes 250 --seed 11 --out "$TMP"
python3 - "$TMP/notes.jsonl" > rules/langid/eval/synth.dev.tsv <<'PY'
import json, sys
print("# Synthetic clinical notes from `norclin synth --notes 250 --seed 11`;")
print("# label = the note's gold lang; line breaks written as \\n. Apache-2.0.")
for line in open(sys.argv[1], encoding="utf-8"):
    n = json.loads(line)
    text = n["text"].replace("\t", " ").replace("\n", "\\n")
    print(f"{n['lang']}\t{text}")
PY
wc -l rules/langid/eval/synth.dev.tsv
