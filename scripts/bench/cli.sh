#!/usr/bin/env bash
# Times the norclin CLI, stage by stage, on a generated synthetic corpus.
#
#   scripts/bench/cli.sh [NOTES] [THREADS]
#
# Builds the release binary, generates NOTES synthetic notes with
# `norclin synth` (default 150000, about 150 MB of text), then times each verb
# with /usr/bin/time and prints one Markdown row per verb: input MB, wall
# seconds, MB/s, peak RSS. Paste the rows into BENCHMARKS.md with the command.
set -euo pipefail
cd "$(dirname "$0")/../.."
NOTES="${1:-150000}"
THREADS="${2:-$(nproc)}"
WORK="${NORCLIN_BENCH_DIR:-$HOME/.cache/norclin/bench}"
mkdir -p "$WORK"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/norclin/target}"
cargo build --release --locked -q
BIN="$CARGO_TARGET_DIR/release/norclin"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

corpus="$WORK/synth-$NOTES"
if [ ! -s "$corpus/notes.jsonl" ]; then
  "$BIN" -q synth --notes "$NOTES" --seed 7 --out "$corpus"
fi
head -c 32 /dev/urandom > "$WORK/key"

row() { # label input-bytes command...
  local label=$1 bytes=$2; shift 2
  local log="$WORK/$label.time"
  /usr/bin/time -v "$@" >/dev/null 2>"$log"
  local wall rss
  wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
  awk -v l="$label" -v b="$bytes" -v w="$wall" -v r="$rss" -v t="$THREADS" \
    'BEGIN { printf "| %s | %d | %.1f | %.2f | %.1f | %.0f |\n", l, t, b/1e6, w, b/1e6/w, r/1024 }'
}

size() { stat -c %s "$1"; }
echo "| verb | threads | input MB | wall s | MB/s | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|"
row synth "$(size "$corpus/notes.jsonl")" "$BIN" -q --threads "$THREADS" synth --notes "$NOTES" --seed 8 --out "$WORK/synth-again"
row ingest "$(size "$corpus/notes.jsonl")" "$BIN" -q --threads "$THREADS" ingest --input "$corpus/notes.jsonl" --out "$WORK/ingest"
if "$BIN" deid --help >/dev/null 2>&1 && ! "$BIN" deid --help | grep -q "not yet available"; then
  row deid "$(size "$corpus/notes.jsonl")" "$BIN" -q --threads "$THREADS" deid --input "$WORK/ingest/notes.parquet" --out "$WORK/deid" --key-file "$WORK/key"
fi
if "$BIN" langid --help >/dev/null 2>&1 && ! "$BIN" langid --help | grep -q "not yet available"; then
  row langid "$(size "$corpus/notes.jsonl")" "$BIN" -q --threads "$THREADS" langid --input "$WORK/ingest/notes.parquet" --out "$WORK/langid.jsonl"
fi
