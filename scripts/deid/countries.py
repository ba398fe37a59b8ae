#!/usr/bin/env python3
"""Writes rules/gazetteers/places/countries.txt.

Countries and continents are no identifiers (`født i Polen`), and deid
never reads one as a name by its shape (`Chiles regjering`, `Europas
største`). This lists the one-word names of every country of ISO 3166-1
in bokmål, nynorsk and English, as the Debian package `iso-codes`
translates them, in lower case, with the continents and regions written
by hand below.

Inputs: /usr/share/iso-codes/json/iso_3166-1.json and the nb and nn
catalogues of `iso-codes` (LGPL-2.1+). Run from the repository root:
    python3 scripts/deid/countries.py
The output is sorted and stable; `src/deid/data.rs` reads it.
"""
import gettext
import json

from wordlists import write_list

ISO = "/usr/share/iso-codes/json/iso_3166-1.json"
OUT = "rules/gazetteers/places/countries.txt"
# Continents and regions that notes and news name like countries.
REGIONS = [
    "afrika", "amerika", "antarktis", "arktis", "asia", "europa", "oseania",
    "skandinavia", "norden", "balkan", "kaukasus", "midtøsten", "sibir",
    "england", "skottland", "wales", "holland",
    "africa", "america", "asia", "europe", "oceania", "scandinavia",
]


def main():
    with open(ISO, encoding="utf-8") as f:
        countries = json.load(f)["3166-1"]
    names = set(REGIONS)
    catalogues = [
        gettext.translation("iso_3166-1", localedir="/usr/share/locale", languages=[lang])
        for lang in ("nb", "nn")
    ]
    for c in countries:
        for key in ("name", "common_name"):
            if key not in c:
                continue
            forms = [c[key]] + [t.gettext(c[key]) for t in catalogues]
            for form in forms:
                if " " not in form and "," not in form and "(" not in form:
                    names.add(form.lower())
    write_list(
        OUT,
        [
            "One-word names of countries (ISO 3166-1, in bokmål, nynorsk and English as",
            "the Debian package iso-codes translates them; LGPL-2.1+) and of continents",
            "and regions (by hand), in lower case.",
        ],
        sorted(names),
        "names",
    )

if __name__ == "__main__":
    main()
