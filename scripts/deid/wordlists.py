"""The lower-case words of the Debian word lists that deid's list scripts
filter names against: bokmål and nynorsk (`wnorwegian`) and British
English (`wbritish`)."""
import sys

LISTS = [
    "/usr/share/dict/bokmaal",
    "/usr/share/dict/nynorsk",
    "/usr/share/dict/british-english",
]


def lower_words(path):
    """The words of one word list that begin with a small letter (UTF-8 or
    ISO-8859-1, as Debian ships them)."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return {w for w in text.split("\n") if w and w[0].islower()}


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
