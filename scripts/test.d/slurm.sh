#!/usr/bin/env bash
# Scale-out on a real Slurm: starts slurmctld + slurmd on localhost, submits
# a 4-task array running ingest → deid (a key generated here) → tokenize
# (a tokenizer trained once beforehand, `note` mode) over a generated
# corpus, waits, merges, and checks the merged output equals a
# single-process run: the same (note_id, text) pairs after deid and the
# same token ids per note, compared as per-note digests
# (`norclin report --format digest`), plus equal counts per stage.
# Without root it skips, except under CI=true, where it fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${CARGO_TARGET_DIR:-target}/debug/norclin"
[ -x "$BIN" ] || cargo build --locked -q
if [ "$(id -u)" != 0 ]; then
  if [ "${CI:-}" = true ]; then
    echo "FAIL slurm scale-out test: CI=true but not root, cannot start slurmctld/slurmd"; exit 1
  fi
  echo "SKIP slurm scale-out test: needs root to start slurmctld/slurmd"; exit 0
fi
scripts/slurm/start.sh >/dev/null
WORK=$(mktemp -d /tmp/norclin-slurm-test.XXXX)
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK" <<'PY'
import json, sys, random
out = sys.argv[1]
rng = random.Random(7)
words = "pasienten innlagt smerter bryst vurdering plan kontroll blodprøver normale utskrevet".split()
# Synthetic identifiers only (fødselsnummer in the Tenor range is not used
# by real people; names from the demo gazetteer).
phi = ["Ola Nordmann", "Kari Hansen", "fnr 13055801432", "tlf 22 11 33 44", "12.03.2021"]
for f, n in enumerate([400, 250, 150, 90, 1500]):
    with open(f"{out}/part{f}.jsonl", "w") as fh:
        for i in range(n):
            ws = [rng.choice(words) for _ in range(rng.randint(5, 60))]
            if i % 3 == 0:
                ws.insert(rng.randint(0, len(ws)), rng.choice(phi))
            text = " ".join(ws).capitalize() + "."
            fh.write(json.dumps({"note_id": f"f{f}-{i}", "patient_id": f"p{rng.randint(0, 300)}", "doc_type": "epikrise", "text": text}) + "\n")
        fh.write('{"note_id": "truncated\n')
PY
head -c 32 /dev/urandom > "$WORK/deid.key"
# One tokenizer for every run: trained once, single-process.
"$BIN" -q tokenize --input "$WORK/part0.jsonl" --out "$WORK/tok" --vocab-size 400 >/dev/null
cat > "$WORK/p.toml" <<TOML
version = 1
run_dir = "run"
[[stages]]
type = "ingest"
inputs = ["part0.jsonl", "part1.jsonl", "part2.jsonl", "part3.jsonl", "part4.jsonl"]
split_files_over_bytes = 100000
[[stages]]
type = "deid"
key_file = "deid.key"
[[stages]]
type = "tokenize"
tokenizer = "tok/tokenizer.json"
max_len = 128
mode = "note"
TOML
"$BIN" -q run "$WORK/p.toml" --run-dir "$WORK/single" >/dev/null
job=$(sbatch --parsable --array=0-3 --chdir="$WORK" --output="$WORK/slurm-%a.out" \
  --export=ALL,NORCLIN="$(realpath "$BIN")" pipelines/slurm_array.sbatch "$WORK/p.toml" "$WORK/ranks")
echo "submitted array job $job"
for _ in $(seq 1 300); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 1
done
if [ -n "$(squeue -h -j "$job" 2>/dev/null)" ]; then
  echo "FAIL: array job $job did not finish in 300 s"; scancel "$job" || true; exit 1
fi
fail() { echo "FAIL: $*"; for f in "$WORK"/slurm-*.out; do echo "--- $f"; tail -5 "$f"; done; exit 1; }
# Every task COMPLETED with exit code 0: from sacct when accounting is on,
# else from slurmctld's memory of finished jobs (scontrol, kept MinJobAge
# seconds). Every rank's completion markers are checked in any case.
states=$(sacct -n -X -P -j "$job" -o JobID,State,ExitCode 2>/dev/null | grep '|' || true)
if [ -n "$states" ]; then
  echo "task states (sacct): $(echo "$states" | tr '\n' ' ')"
  [ "$(echo "$states" | grep -c '|COMPLETED|0:0$')" = 4 ] || fail "not every array task COMPLETED"
else
  states=$(scontrol -o show job "$job" 2>/dev/null | grep -o 'ArrayTaskId=[0-9]* .*JobState=[A-Z_]*\|ExitCode=[0-9:]*' \
    | sed -E 's/^ArrayTaskId=([0-9]+) .*JobState=([A-Z_]+)$/\1 \2/; s/^ExitCode=//' | paste -d' ' - - || true)
  echo "task states (scontrol): $(echo "$states" | tr '\n' ';')"
  [ "$(echo "$states" | grep -c ' COMPLETED 0:0$')" = 4 ] || fail "not every array task COMPLETED"
fi
for r in 0 1 2 3; do
  d="$WORK/ranks/rank-0000$r-of-00004"
  for s in 01-ingest 02-deid 03-tokenize; do
    [ -f "$d/$s/_SUCCESS.json" ] || fail "rank $r has no completion marker for $s"
  done
done
"$BIN" merge "$WORK/ranks"
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
single = json.load(open(f"{w}/single/report.json"))["stages"]
merged = json.load(open(f"{w}/ranks/report.json"))["stages"]
assert len(single) == len(merged) == 3, (len(single), len(merged))
for a, b in zip(single, merged):
    for k in ("rows_in", "rows_out", "quarantined"):
        assert a[k] == b[k], (a["name"], k, a[k], b[k])
stages = json.load(open(f"{w}/ranks/merged.json"))["stages"]
assert all(len(s["parts"]) == 4 for s in stages), stages
assert stages[2].get("merged") == "merged/03-tokenize", stages[2]
phi = sum(v for k, v in single[1]["counters"].items() if k.startswith("phi."))
assert phi > 0, "the corpus has identifiers: deid must have found some"
print("slurm: merged", merged[0]["rows_out"], "notes from 4 ranks; counts equal the single run;", phi, "identifiers replaced")
PY
# Same ids and texts after deid, same token ids per note.
"$BIN" report --format digest "$WORK/single/02-deid" > "$WORK/deid.single"
for d in "$WORK"/ranks/rank-*/02-deid; do "$BIN" report --format digest "$d"; done | sort > "$WORK/deid.ranks"
[ -s "$WORK/deid.single" ] || fail "no deid digests"
diff -q "$WORK/deid.single" "$WORK/deid.ranks" >/dev/null || { diff "$WORK/deid.single" "$WORK/deid.ranks" | head; fail "deid notes differ"; }
"$BIN" report --format digest "$WORK/single/03-tokenize" > "$WORK/tok.single"
"$BIN" report --format digest "$WORK/ranks/merged/03-tokenize" > "$WORK/tok.merged"
[ -s "$WORK/tok.single" ] || fail "no token digests"
diff -q "$WORK/tok.single" "$WORK/tok.merged" >/dev/null || { diff "$WORK/tok.single" "$WORK/tok.merged" | head; fail "token ids differ"; }
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
a = json.load(open(f"{w}/single/03-tokenize/manifest.json"))
b = json.load(open(f"{w}/ranks/merged/03-tokenize/manifest.json"))
for k in ("tokenizer_sha256", "vocab_size", "dtype", "max_len", "mode", "split_rule", "summary"):
    assert a[k] == b[k], k
PY
echo "slurm: $(wc -l < "$WORK/deid.single") notes with the same ids and texts, $(wc -l < "$WORK/tok.single") with the same token ids"
echo "1 passed, 0 failed"
