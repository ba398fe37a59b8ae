#!/usr/bin/env python3
"""Builds the langid dev/held-out gold files in rules/langid/eval/.

Input: the UD dev sentences in /work/shared/data/langid/{nob,nno,swe,dan,eng}.dev.txt
(from the dev splits of UD_Norwegian-Bokmaal, UD_Norwegian-Nynorsk,
UD_Swedish-Talbanken, UD_Danish-DDT, UD_English-EWT; each CC BY-SA 4.0).

Each file is split in document order: the first half is `tune` (used while
developing the model and its markers), the second half is `heldout` (only
ever evaluated, never looked at while tuning). From each half:
  sentences.<part>.tsv  every sentence, label = language
  snippets.<part>.tsv   one random window of 3-8 words per nob/nno sentence
  docs.<part>.tsv       consecutive 5-sentence documents (nob/nno)
Deterministic (seeded).
"""

import random
import sys
from pathlib import Path

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/langid")
OUT = Path("rules/langid/eval")
LANGS = ["nob", "nno", "swe", "dan", "eng"]


def clean(s):
    return " ".join(s.replace("\t", " ").split())


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261125)
    parts = {"tune": {}, "heldout": {}}
    for lang in LANGS:
        lines = [clean(l) for l in (SRC / f"{lang}.dev.txt").read_text(encoding="utf-8").splitlines()]
        lines = [l for l in lines if l]
        half = len(lines) // 2
        parts["tune"][lang] = lines[:half]
        parts["heldout"][lang] = lines[half:]
    for part, by_lang in parts.items():
        with open(OUT / f"sentences.{part}.tsv", "w", encoding="utf-8") as f:
            for lang in LANGS:
                for s in by_lang[lang]:
                    f.write(f"{lang}\t{s}\n")
        with open(OUT / f"snippets.{part}.tsv", "w", encoding="utf-8") as f:
            for lang in ("nob", "nno"):
                for s in by_lang[lang]:
                    words = s.split()
                    if len(words) < 3:
                        continue
                    k = rng.randint(3, min(8, len(words)))
                    i = rng.randint(0, len(words) - k)
                    f.write(f"{lang}\t{' '.join(words[i:i + k])}\n")
        with open(OUT / f"docs.{part}.tsv", "w", encoding="utf-8") as f:
            for lang in ("nob", "nno"):
                ss = by_lang[lang]
                for i in range(0, len(ss) - 4, 5):
                    f.write(f"{lang}\t{' '.join(ss[i:i + 5])}\n")


if __name__ == "__main__":
    main()
