#!/usr/bin/env python3
"""Tokenization anchor for scripts/bench: Hugging Face `tokenizers`
`encode_batch` (special tokens added, as norclin's shards have them) over
the texts of a notes JSONL file, already in memory, with the tokenizer.json
norclin used. Threads: set RAYON_NUM_THREADS before starting. Prints one
JSON line: bytes, tokens, seconds (best of REPEAT).

  tokenizers_anchor.py TOKENIZER.json NOTES.jsonl [REPEAT]
"""
import json
import sys
import time

from tokenizers import Tokenizer


def main(tok_path, notes_path, repeat="2"):
    tok = Tokenizer.from_file(tok_path)
    texts = []
    with open(notes_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                texts.append(json.loads(line)["text"])
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    best, tokens = float("inf"), 0
    for _ in range(int(repeat)):
        started = time.perf_counter()
        tokens = 0
        for i in range(0, len(texts), 1024):
            for enc in tok.encode_batch(texts[i : i + 1024], add_special_tokens=True):
                tokens += len(enc.ids)
        best = min(best, time.perf_counter() - started)
    print(json.dumps({"bytes": nbytes, "tokens": tokens, "seconds": best}))


if __name__ == "__main__":
    main(*sys.argv[1:])
