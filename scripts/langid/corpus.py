#!/usr/bin/env python3
"""Builds the langid training corpus (not committed; build_model.py reads it).

Usage: corpus.py DEB_DIR LINGUA_DIR OUT.tsv

DEB_DIR holds the unpacked Debian packages (`DEB_DIR/<package>/...`, from
`apt-get download` + `dpkg -x`, see build_model.sh); LINGUA_DIR the
unpacked lingua language-model crates (`LINGUA_DIR/lingua-<language>-
language-model-1.3.0/`, fetched with cargo by build_model.sh). Writes
`label<TAB>source<TAB>text` lines, label one of nob, nno, swe, dan, eng:

  lo       LibreOffice UI strings (libreoffice-l10n-{nb,nn,sv,da}; the
           English msgids as eng)                                MPL-2.0
  ff       Firefox UI strings (firefox-esr-l10n-{nb-no,nn-no,sv-se,da}) MPL-2.0
  edu      the Debian Edu manual in bokmål (debian-edu-doc-nb-no)  GPL-2+
  gimp     the GIMP manual in nynorsk (gimp-help-nn)            GFDL-1.2+
  man      manual pages in bokmål (manpages-nb, manpages-l10n)     GPL-3+
  lingua   the test sentences of the lingua language-model crates
           (crates.io lingua-{bokmal,nynorsk,swedish,danish,english}-
           language-model 1.3.0, testdata/sentences.txt; news and web
           sentences from the Leipzig Corpora Collection)      Apache-2.0
  ud1 ud2  the tuning half of the UD dev sentences (rules/langid/eval/
           sentences.tune.tsv; never the held-out half), split in two for
           cross-validation                                    CC BY-SA 4.0
  synth    norclin's synthetic clinical sentence patterns
           (rules/synth/patterns/{nob,nno}.txt)                  Apache-2.0
  apx-ORIGIN  apertium-nno-nob translations of the bokmål texts above into
           nynorsk (both the a- and the e-infinitive norm) and of the
           nynorsk texts into bokmål; words apertium does not know are
           dropped                                                GPL-2+

Deterministic: inputs are read in sorted order, duplicates dropped keeping
the first, output sorted by (label, source, text).
"""

import gettext
import glob
import gzip
import html
import math
import os
import re
import subprocess
import sys
import zipfile

import wordfreq

MIN_WORDS = 2
WORD = re.compile(r"[^\W\d_]+")


def clean(s):
    s = s.replace("\\n", " ").replace("\t", " ")
    s = re.sub(r"<[^>]+>", " ", s)  # markup in UI strings
    s = re.sub(r"\{[^{}]*\}|%[0-9]*\$?[sdu]|\$[A-Za-z0-9_]+\$?|&[a-z]+;", " ", s)
    s = s.replace("~", "").replace("_", "")
    return " ".join(html.unescape(s).split())


WORDFREQ = {"nob": "nb", "nno": "nb", "swe": "sv", "dan": "da", "eng": "en"}


def usable(s):
    return len(WORD.findall(s)) >= MIN_WORDS


def not_english(label, s):
    """False for strings left untranslated (English) in a catalogue: their
    words are likelier English than the catalogue's language."""
    if label == "eng":
        return True
    code = WORDFREQ[label]
    score = 0.0
    for w in WORD.findall(s.lower()):
        score += math.log(max(wordfreq.word_frequency(w, code), 1e-8))
        score -= math.log(max(wordfreq.word_frequency(w, "en"), 1e-8))
    return score >= 0.0


def mo_strings(pattern):
    """msgid -> msgstr over every .mo file matching `pattern` (sorted)."""
    out = {}
    for path in sorted(glob.glob(pattern, recursive=True)):
        with open(path, "rb") as f:
            cat = gettext.GNUTranslations(f)._catalog
        for k in sorted(cat, key=repr):
            v = cat[k]
            if isinstance(k, tuple):
                k = k[0]
            if k and v:
                ctx_free = k.split("\x04", 1)[-1]
                out[(os.path.basename(path), k)] = (ctx_free, v)
    return out


def ftl_strings(xpi):
    """Values of the Fluent (.ftl) and .properties files in a langpack."""
    out = []
    with zipfile.ZipFile(xpi) as z:
        for name in sorted(z.namelist()):
            if not name.endswith((".ftl", ".properties")):
                continue
            for line in z.read(name).decode("utf-8", "replace").splitlines():
                if not line.startswith("#") and "=" in line:
                    out.append(line.split("=", 1)[1])
    return out


def html_paragraphs(path):
    """The `<p>` paragraphs of at least 4 words of an HTML manual page
    (code and markup dropped)."""
    text = open(path, encoding="utf-8", errors="replace").read()
    text = re.sub(r"<(pre|code|tt)[^>]*>.*?</\1>", " ", text, flags=re.S)
    out = []
    for m in re.findall(r"<p[^>]*>(.*?)</p>", text, re.S):
        s = clean(m)
        if len(WORD.findall(s)) >= 4:
            out.append(s)
    return out


def man_paragraphs(path):
    """Running text of one troff manual page: text lines joined into
    paragraphs at each request line (`.PP`, `.TP`, ...), font escapes and
    option names dropped."""
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    out, cur = [], []
    for line in lines:
        if line.startswith((".", "'")):
            if cur:
                out.append(" ".join(cur))
                cur = []
            continue
        line = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", line)
        line = re.sub(r"(?<!\w)\\-\S*", " ", line)  # options: \-\-help, \-n
        line = re.sub(r"\\[&e(]\S?", " ", line).replace("\\-", "-")
        cur.append(line)
    if cur:
        out.append(" ".join(cur))
    return [t for t in (" ".join(p.split()) for p in out) if len(WORD.findall(t)) >= 4]


def lingua_sentences(lingua, name):
    path = f"{lingua}/lingua-{name}-language-model-1.3.0/testdata/sentences.txt"
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def synth_patterns(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("["):
            continue
        out.append(clean(line))
    return out


def apertium(mode, lines):
    """Translates `lines` (one per line) with apertium; unknown words
    (`*word`) and untranslated marks (`#word`, `@word`) are dropped."""
    if not lines:
        return []
    data = "\n".join(lines) + "\n"
    res = subprocess.run(
        ["apertium", "-u", mode], input=data.encode("utf-8"), capture_output=True, check=True
    )
    out = res.stdout.decode("utf-8").split("\n")
    out = [" ".join(re.sub(r"[*#@]\S+", " ", s).split()) for s in out[: len(lines)]]
    if len(out) != len(lines):
        raise SystemExit(f"apertium {mode}: {len(out)} lines for {len(lines)}")
    return out


def main(deb, lingua, out_path):
    rows = []

    def add(label, source, texts):
        for t in texts:
            t = clean(t)
            if usable(t) and (source.startswith("ud") or not_english(label, t)):
                rows.append((label, source, t))

    # LibreOffice: one catalogue per language, the English msgids as eng.
    lo = {}
    for lang, code in (("nob", "nb"), ("nno", "nn"), ("swe", "sv"), ("dan", "da")):
        lo[lang] = mo_strings(f"{deb}/libreoffice-l10n-{code}/**/LC_MESSAGES/*.mo")
        add(lang, "lo", [v for (_, v) in lo[lang].values()])
    add("eng", "lo", sorted({k for (k, _) in lo["nob"].values()}))
    for lang, code in (("nob", "nb-no"), ("nno", "nn-no"), ("swe", "sv-se"), ("dan", "da")):
        for xpi in sorted(glob.glob(f"{deb}/firefox-esr-l10n-{code}/**/*.xpi", recursive=True)):
            add(lang, "ff", ftl_strings(xpi))
    edu = []
    for p in sorted(glob.glob(f"{deb}/debian-edu-doc-nb-no/**/*bookworm-manual.html", recursive=True)):
        edu += html_paragraphs(p)
    edu = [t for t in edu if not_english("nob", t)]
    add("nob", "edu", edu)
    gimp = []
    for p in sorted(glob.glob(f"{deb}/gimp-help-nn/**/help/nn/*.html", recursive=True)):
        gimp += html_paragraphs(p)
    gimp = [t for t in dict.fromkeys(clean(t) for t in gimp) if usable(t) and not_english("nno", t)]
    add("nno", "gimp", gimp)
    man = []
    for p in sorted(glob.glob(f"{deb}/manpages-nb/usr/share/man/nb/**/*.gz", recursive=True)):
        man += man_paragraphs(p)
    man = [t for t in dict.fromkeys(clean(t) for t in man) if usable(t) and not_english("nob", t)]
    add("nob", "man", man)
    lingua_text = {}
    for label, name in (("nob", "bokmal"), ("nno", "nynorsk"), ("swe", "swedish"),
                        ("dan", "danish"), ("eng", "english")):
        lingua_text[label] = [clean(t) for t in lingua_sentences(lingua, name)]
        add(label, "lingua", lingua_text[label])
    # UD: `ud1` and `ud2` are the first and second half of each language's
    # tuning sentences, so build_model.py can cross-validate on `ud2`.
    by_lang = {}
    with open("rules/langid/eval/sentences.tune.tsv", encoding="utf-8") as f:
        for line in f:
            label, text = line.rstrip("\n").split("\t", 1)
            by_lang.setdefault(label, []).append(text)
    ud = {}
    for label, texts in sorted(by_lang.items()):
        half = len(texts) // 2
        for part, chunk in (("ud1", texts[:half]), ("ud2", texts[half:])):
            add(label, part, chunk)
            ud[(label, part)] = [clean(t) for t in chunk]
    syn = {lang: synth_patterns(f"rules/synth/patterns/{lang}.txt") for lang in ("nob", "nno")}
    for lang, lines in syn.items():
        add(lang, "synth", lines)

    # Parallel text from apertium: prose in one standard, translated (the
    # bokmål half into the a-infinitive nynorsk norm, half into the e-norm).
    for origin, lines in (("ud1", ud[("nob", "ud1")]), ("ud2", ud[("nob", "ud2")]), ("edu", edu),
                          ("synth", syn["nob"]), ("man", man), ("lingua", lingua_text["nob"])):
        half = len(lines) // 2
        nno = apertium("nob-nno", lines[:half]) + apertium("nob-nno_e", lines[half:])
        add("nno", f"apx-{origin}", nno)
    for origin, lines in (("ud1", ud[("nno", "ud1")]), ("ud2", ud[("nno", "ud2")]), ("synth", syn["nno"]),
                          ("gimp", gimp), ("lingua", lingua_text["nno"])):
        add("nob", f"apx-{origin}", apertium("nno-nob", lines))

    seen = set()
    uniq = []
    for r in rows:
        key = (r[0], r[2])
        if key not in seen:
            seen.add(key)
            uniq.append(r)
    uniq.sort()
    with open(out_path, "w", encoding="utf-8") as f:
        for r in uniq:
            f.write("\t".join(r) + "\n")
    counts = {}
    for label, source, _ in uniq:
        counts[(label, source)] = counts.get((label, source), 0) + 1
    for k in sorted(counts):
        print(f"corpus: {k[0]} {k[1]}: {counts[k]}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
