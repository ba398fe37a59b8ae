#!/usr/bin/env python3
"""Writes rules/gazetteers/names/name_tokens_not_words.txt.

`name_tokens_wordfreq.tsv` flags a name token as also an ordinary word when
its frequency in general bokmål text is far above what its number of bearers
predicts (`word_excess` >= 1.5). News text also writes famous names often
(`Stoltenberg`, `Johnson`, `Tønsberg`): those tokens are frequent *as names*.
This lists the flagged tokens that no bokmål, nynorsk or English full-form
word list has in lower case, so that deid treats them as names, not words.

Inputs: the TSV above and the Debian word lists `wnorwegian`
(/usr/share/dict/bokmaal, /usr/share/dict/nynorsk; ISO-8859-1) and
`wbritish` (/usr/share/dict/british-english). Run from the repository root:
    python3 scripts/deid/name_tokens_not_words.py
The output is sorted and stable; `src/deid/data.rs` reads it.
"""
import csv

from wordlists import all_lower_words, write_list

EXCESS = 1.5  # the threshold src/deid/data.rs applies to `word_excess`
MIN_CHARS = 3  # shorter tokens (`Aa`) stay words
TSV = "rules/gazetteers/names/name_tokens_wordfreq.tsv"
OUT = "rules/gazetteers/names/name_tokens_not_words.txt"


def main():
    words = all_lower_words()
    rows = list(csv.DictReader(open(TSV, encoding="utf-8"), delimiter="\t"))
    keep = sorted(
        r["token"]
        for r in rows
        if float(r["word_excess"] or 0) >= EXCESS
        and len(r["token"]) >= MIN_CHARS
        and r["token"].lower() not in words
    )
    write_list(
        OUT,
        [
            "Name tokens that name_tokens_wordfreq.tsv flags as frequent words but",
            "no bokmål, nynorsk or English word list has: frequent as names.",
        ],
        keep,
        "tokens",
    )

if __name__ == "__main__":
    main()
