#!/usr/bin/env python3
"""Writes rules/gazetteers/words/norwegian_words.tsv.

The lower-case words of the bokmål and nynorsk full-form lists that
Norwegian text uses: words the langid table (`rules/langid/model.bin`,
trained on real text) has an entry for, at most 2 nats less likely in
Norwegian than in the language it suits best (`telefon`, also Danish). The
lists hold about 1.3 million forms; the table keeps the frequent ones. A word
either list also has with a capital (`Nansen`, `Finn`) is left out: it may be
a name; so is a word of the name and place lists deid embeds (`siv`, `juni`,
`bakken`).

Column `noun` is 1 for a noun whose definite form the lists hold (`vinter`:
`vinteren`; `bonde`, `fisker`, `vakt`): family names are often such nouns,
and rarely verbs, adjectives or adverbs. deid reads the list to tell an
ordinary word from an unknown name (`sønnen håkon hentet`: `hentet` is no
family name; `sønnen håkon vinter` may be one).

Inputs: the Debian word lists `wnorwegian` (/usr/share/dict/bokmaal,
/usr/share/dict/nynorsk), the model and deid's name and place lists. Run
from the repository root:
    python3 scripts/deid/norwegian_words.py
The output is sorted and stable; `src/deid/data.rs` reads it.
"""
import os
import sys

from wordlists import NAME_LISTS, NORWEGIAN_LISTS, capitalised_words, lower_names, lower_words

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "langid"))
from table import Table  # noqa: E402

MODEL = "rules/langid/model.bin"
OUT = "rules/gazetteers/words/norwegian_words.tsv"
PLACE_LISTS = ["rules/gazetteers/places/places_all.tsv", "rules/gazetteers/places/world_cities.tsv"]
NOR = 0  # index of the Norwegian weight: log-probability minus the best language's
MAX_BELOW_BEST = 2 * 16  # 2 nats, in the table's units of 1/16 nat


def main():
    try:
        lower = set().union(*(lower_words(p) for p in NORWEGIAN_LISTS))
        capital = {w.lower() for p in NORWEGIAN_LISTS for w in capitalised_words(p)}
    except OSError as e:
        sys.exit(f"{e} (install the Debian package wnorwegian)")
    names = lower_names(NAME_LISTS + PLACE_LISTS)
    table = Table(MODEL)

    # `vinter` → `vinteren`, `hotell` → `hotellet`, `bonde` → `bonden`.
    def noun(w):
        ends = ("en", "et", "a") + (("n",) if w.endswith("e") else ())
        return any(w + end in lower for end in ends)

    rows = []
    for w in sorted(lower - capital - names):
        weights = table.lookup(w)
        if weights and weights[NOR] >= -MAX_BELOW_BEST:
            rows.append((w, int(noun(w))))
    with open(OUT + ".tmp", "w", encoding="utf-8") as f:
        f.write("word\tnoun\n")
        for w, n in rows:
            f.write(f"{w}\t{n}\n")
    os.replace(OUT + ".tmp", OUT)
    print(f"{OUT}: {len(rows)} words, {sum(n for _, n in rows)} nouns")


if __name__ == "__main__":
    main()
