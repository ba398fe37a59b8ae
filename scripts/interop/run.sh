#!/usr/bin/env bash
# Interop check for token shards: Python pyarrow, polars and HF `datasets`
# (and `transformers.AutoTokenizer` on the shard folder)
# load the shards with the same rows and ids, and Python `tokenizers`
# encodes the notes to the ids norclin wrote, both with the tokenizer.json
# norclin trained and with a byte-level BPE tokenizer trained in Python.
#
#   scripts/interop/run.sh            # from the repository root
#
# Creates (once) a venv under $NORCLIN_VENV (default
# $HOME/.cache/norclin/venv) with pyarrow, polars, datasets, tokenizers and transformers
# from PyPI. Uses $NORCLIN_BIN, or builds target/debug/norclin.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${NORCLIN_VENV:-$HOME/.cache/norclin/venv}"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import pyarrow, polars, datasets, tokenizers, transformers" 2>/dev/null; then
    echo "interop: creating venv $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
fi
py="$venv/bin/python"

bin="${NORCLIN_BIN:-}"
if [[ -z "$bin" ]]; then
    (cd "$root" && cargo build --quiet --bin norclin)
    bin="$root/target/debug/norclin"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 HF_HOME="$work/hf" TOKENIZERS_PARALLELISM=false

"$py" "$here/make_notes.py" "$work/notes.jsonl"

# 1. A WordPiece vocabulary trained by norclin, one note per sequence.
"$bin" -q tokenize --input "$work/notes.jsonl" --out "$work/note" --vocab-size 2000 \
    --max-len 128 --mode note --ratios 0.6,0.2,0.2 --unit-mib 0.05
"$py" "$here/check.py" "$work/note" "$work/notes.jsonl"

# 2. Packed sequences.
"$bin" -q tokenize --input "$work/notes.jsonl" --out "$work/packed" --vocab-size 2000 \
    --max-len 256 --mode packed --ratios 0.6,0.2,0.2
"$py" "$here/check.py" "$work/packed" "$work/notes.jsonl"

# 3. A tokenizer.json made by Python `tokenizers` (byte-level BPE with a
#    [CLS]/[SEP] template, like ModernBERT), brought with --tokenizer.
"$py" "$here/make_bpe.py" "$work/notes.jsonl" "$work/bpe.json"
"$bin" -q tokenize --input "$work/notes.jsonl" --out "$work/bpe" --tokenizer "$work/bpe.json" \
    --max-len 128 --mode note --ratios 0.6,0.2,0.2
"$py" "$here/check.py" "$work/bpe" "$work/notes.jsonl"

echo "interop: ok"
