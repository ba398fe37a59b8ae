"""What deid's list scripts filter names and places against: the lower-case
words of the Debian word lists, bokmål and nynorsk (`wnorwegian`) and
British English (`wbritish`), and the words of the clinical lists."""
import csv
import sys

NORWEGIAN_LISTS = ["/usr/share/dict/bokmaal", "/usr/share/dict/nynorsk"]
ENGLISH = "/usr/share/dict/british-english"
LISTS = NORWEGIAN_LISTS + [ENGLISH]
# The person-name lists deid embeds (column `name`), which list scripts
# leave names to.
NAME_LISTS = [
    "rules/gazetteers/names/given_names.tsv",
    "rules/gazetteers/names/surnames.tsv",
    "rules/gazetteers/names/given_names_world.tsv",
]


def list_words(path):
    """The words of one word list (UTF-8 or ISO-8859-1, as Debian ships
    them)."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return [w for w in text.split("\n") if w]


def lower_words(path):
    """The words of one word list that begin with a small letter."""
    return {w for w in list_words(path) if w[0].islower()}


def capitalised_words(path):
    """The words of one word list that begin with a capital letter."""
    return {w for w in list_words(path) if w[0].isupper()}


def all_lower_words():
    """The lower-case words of every list; exits naming the package to
    install when one is missing."""
    words = set()
    for path in LISTS:
        try:
            words |= lower_words(path)
        except OSError as e:
            sys.exit(f"{path}: {e} (install the Debian packages wnorwegian and wbritish)")
    return words


CLINICAL = {  # file: its column of words
    "rules/gazetteers/clinical/medical_eponyms.tsv": "eponym",
    "rules/gazetteers/clinical/clinical_abbreviations.tsv": "abbreviation",
    "rules/gazetteers/clinical/ambiguous_name_words.tsv": "word",
}


def lower_names(paths):
    """The `name` column of each TSV in `paths`, in lower case, run from
    the repository root."""
    return {n.lower() for path in paths for n in tsv_column(path, "name")}


def tsv_column(path, column):
    """One column of a TSV file with a header."""
    with open(path, encoding="utf-8") as f:
        return [r[column] for r in csv.DictReader(f, delimiter="\t")]


def clinical_words():
    """The lower-case words of the clinical lists (eponyms, abbreviations
    without their dots, names that are words), run from the repository
    root."""
    words = set()
    for path, column in CLINICAL.items():
        for value in tsv_column(path, column):
            words |= {w.strip(".").lower() for w in value.replace("-", " ").split()}
    return words
