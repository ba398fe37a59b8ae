#!/usr/bin/env python3
"""Builds rules/langid/model.bin, the norclin language-identification model.

Run `scripts/langid/build_model.sh` (it installs the inputs, writes the
training corpus with corpus.py, and calls this).

Inputs (all installed by the shell script; none ships in the repository):
  Debian `wnorwegian`  /usr/share/dict/{bokmaal,nynorsk}   GPL-2   (spell-norwegian)
  Debian `hunspell-no` /usr/share/hunspell/{nb,nn}_NO.dic  GPL-2   (spell-norwegian)
  Debian `wdanish`     /usr/share/dict/danish              GPL-2+
  Debian `wswedish`    /usr/share/dict/swedish             GPL-2+
  Debian `wbritish`    /usr/share/dict/british-english     SCOWL (permissive)
  PyPI `wordfreq` 3.x  word frequencies nb/da/sv/en        data CC BY-SA 4.0
  scripts/langid/markers.tsv  hand-picked bokmål/nynorsk markers (norclin)
  rules/gazetteers/names/{given_names,surnames}.tsv  names get no bokmål/nynorsk
      weight from the word lists (see rules/gazetteers/SOURCES.md)
  target/langid-corpus/train.tsv  the training corpus (corpus.py: UI
      catalogues, the Debian Edu manual, apertium translations, the tuning
      half of the UD dev sentences, norclin's synthetic clinical patterns)

The four language weights are generative (frequencies and lists); the
bokmål/nynorsk weight starts from a prior (markers, lists, paired forms,
endings) and is refitted on the corpus by lidtrain.py. The held-out halves
of the UD dev sentences are never read.

Model format: see rules/langid/README.md. The hash is 64-bit FNV-1a over the
lower-cased UTF-8 bytes of the key; `src/langid/model.rs` must agree.
"""

import json
import math
import os
import random
import re
import struct
import sys
from collections import Counter, defaultdict

import wordfreq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lidtrain  # noqa: E402
from lidtrain import tokens_rt  # noqa: E402
from table import fmix64, fnv1a, slot_of  # noqa: E402

LANGS = ["nor", "swe", "dan", "eng"]
UNIT = 16.0  # weight units per nat
CLIP = 8.0  # nats
TOP = {"nb": 20000, "da": 40000, "sv": 20000, "en": 20000}
NB_EXCLUSIVE_TOP = 120000  # exclusive bokmål/nynorsk forms kept from nb's list
LIST_NN_WEIGHT = 1.2  # nats for a word found in only one standard's lists
# Words norclin's bokmål and nynorsk clinical sentence patterns both use
# get a neutral prior, whatever the lists say (the nynorsk lists lack much
# medical vocabulary: `epikrise` would count as bokmål).
SHARED_PATTERN_WORDS = True
SUFFIX_LENS = (3, 4, 5)
SUFFIX_PREFIX = "~"
SUFFIX_NN_SHARED = 0.0  # share of the ending's weight given to shared forms
PAIR_CLIP = 2.0  # nats
PAIR_MAX_FREQ = 1e-5  # nb frequency above which a form counts as bokmål
PAIR_MIN_RATIO = 6.0  # counterpart this much more frequent in nb text
TUNE_RADICAL = 0.2  # shared forms count as nynorsk when this much rarer in nb text
SUFFIX_NN_MIN_COUNT = 30  # exclusive forms with an ending before it gets a weight
SUFFIX_SHARED_DAMP = 1.0  # weight of shared forms when damping an ending's ratio
TUNE_MIN_COUNT = 3  # occurrences in the tuning half before a word's ratio is used
TUNE_SHRINK = 3.0  # shrinks ratios of rare words towards 0
TUNE_CLIP = 3.0  # nats
CORPUS_FILE = "target/langid-corpus/train.tsv"  # written by corpus.py
CORPUS_MIN_COUNT = 2  # corpus words seen this often get their own entry
# Weight of a corpus text by source (corpus.py): real prose counts more
# than UI strings and machine translations.
SOURCE_WEIGHT = {"ud1": 2.0, "ud2": 2.0, "synth": 1.0, "edu": 1.0, "lo": 1.0, "ff": 1.0,
                 "gimp": 1.0, "man": 1.0, "lingua": 2.0}
APX_WEIGHT = 1.0
LAMBDA_NN = 5.0  # pull of the nynorsk-vs-bokmål weights towards the prior
# Extra pull towards 0 for words without a prior of their own (forms both
# standards share, or neither list has): function words frequent in both
# standards must not tip marker-free text on the strength of the corpus.
# 0 = off: with LAMBDA_NN at 5 it gained nothing in cross-validation.
LAMBDA_SHARED = 0.0
TRAIN_SEED = 20261205
TRAIN_WINDOWS = 3  # random 3-8-word windows per text, besides the text
# Cross-validation: leave the second half of the UD tuning sentences (and
# their translations) out, then score them (LANGID_PARAMS='{"CV": true}').
CV = False
CV_HOLD = "ud2"  # the half left out (or "ud1": the other fold)
CV_PRIORS = [-0.4, -0.2, 0.0, 0.2]


# Parameter overrides for experiments: LANGID_PARAMS='{"TUNE_SHRINK": 5}'.
globals().update(json.loads(os.environ.get("LANGID_PARAMS", "{}")))
for _k, _v in json.loads(os.environ.get("LANGID_RT_PARAMS", "{}")).items():
    setattr(lidtrain, _k, _v)  # classifier mirror constants, for experiments


def is_word(w: str) -> bool:
    return len(w) > 0 and all(c.isalpha() for c in w)


def load_list(path, enc, hunspell=False):
    out = set()
    with open(path, encoding=enc, errors="replace") as f:
        for i, line in enumerate(f):
            w = line.strip()
            if hunspell:
                if i == 0 and w.isdigit():
                    continue
                w = w.split("/", 1)[0]
            if not w or not w[0].islower():
                continue  # proper names carry no language signal here
            w = w.lower()
            if is_word(w):
                out.add(w)
    return out


def tokens(sentence):
    """Lower-cased words the classifier scores (names and ALL CAPS skipped)."""
    out = []
    start = True
    for t in re.findall(r"[^\W\d_]+|[.!?:]", sentence):
        if t in ".!?:":
            start = True
            continue
        first = start
        start = False
        if t.isupper() and len(t) > 1:
            continue
        if t[0].isupper() and (not first or any(c.isupper() for c in t[1:])):
            continue
        out.append(t.lower())
    return out


def tune_weights(rows):
    """Nynorsk-vs-bokmål log-ratios of words frequent enough in the tuning
    half of the UD dev sentences (the held-out half is never read)."""
    counts = {"nob": Counter(), "nno": Counter()}
    for label, source, _, text in rows:
        if label in counts and source.startswith("ud"):
            counts[label].update(tokens(text))
    nb, nn = sum(counts["nob"].values()), sum(counts["nno"].values())
    out = {}
    for w in set(counts["nob"]) | set(counts["nno"]):
        cb, cn = counts["nob"][w], counts["nno"][w]
        if cb + cn < TUNE_MIN_COUNT:
            continue
        lr = math.log((cn + 0.5) / nn) - math.log((cb + 0.5) / nb)
        lr *= (cb + cn) / (cb + cn + TUNE_SHRINK)
        if abs(lr) >= 0.3:
            out[w] = max(-TUNE_CLIP, min(TUNE_CLIP, lr))
    # Norwegian text frequency as half bokmål, half nynorsk (wordfreq's
    # Norwegian is nearly all bokmål): words seen at least twice.
    freq = {}
    for w in set(counts["nob"]) | set(counts["nno"]):
        cb, cn = counts["nob"][w], counts["nno"][w]
        if cb + cn >= 2:
            freq[w] = 0.5 * cb / nb + 0.5 * cn / nn
    nno_freq = {w: c / nn for w, c in counts["nno"].items()}
    return out, freq, nno_freq


# Endings that differ between the standards: (nynorsk, bokmål).
PAIRS = [
    ("a", "et"), ("ar", "er"), ("ane", "ene"), ("ast", "es"),
    ("ast", "est"), ("aste", "este"), ("leg", "lig"), ("lege", "lige"),
    ("inga", "ingen"), ("ingar", "inger"), ("heit", "het"), ("heita", "heten"),
    ("ande", "ende"), ("ast", "ates"),
]
# Spelling differences inside words: (nynorsk, bokmål).
INFIXES = [("kjøt", "kjøtt"), ("mjøl", "mel"), ("sjuk", "syk"), ("eig", "eg"),
           ("heim", "hjem"), ("au", "ø"), ("ei", "e"), ("øy", "ø"), ("ve", "u"),
           ("udd", "odd"), ("ju", "y")]


def paired_weights(nob_only, nno_only, nno, nob):
    """Nynorsk evidence for forms both lists accept (radical bokmål) whose
    bokmål-only counterpart is far more frequent in (mostly bokmål)
    Norwegian text: `kasta` against `kastet`, `veg` against `vei`."""
    out = {}
    for w in wordfreq.top_n_list("nb", 400000):
        if not is_word(w) or len(w) < 3 or w not in nno:
            continue
        f = wordfreq.word_frequency(w, "nb")
        best = 0.0
        cands = []
        for a, b in PAIRS:
            if w.endswith(a):
                cands.append(w[: len(w) - len(a)] + b)
        for a, b in INFIXES:
            if a in w:
                cands.append(w.replace(a, b, 1))
        if f >= PAIR_MAX_FREQ:
            continue  # common in bokmål text: a bokmål word in its own right
        for c in cands:
            if c != w and c in nob:
                best = max(best, wordfreq.word_frequency(c, "nb"))
        if best > 0 and f > 0 and best / f >= PAIR_MIN_RATIO:
            out[w] = min(PAIR_CLIP, 0.6 * math.log(best / f))
    return out


def load_corpus(path):
    """(label, source, weight, text) rows of corpus.py's output."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            label, source, text = line.rstrip("\n").split("\t", 2)
            if CV and source in (CV_HOLD, "apx-" + CV_HOLD):
                continue
            w = SOURCE_WEIGHT.get(source, APX_WEIGHT if source.startswith("apx") else 1.0)
            out.append((label, source, w, text))
    return out


def cv_report(table, nn_bias):
    """Scores the left-out UD tuning sentences, and a seeded 3-8-word
    window of each Norwegian one, at the learned nynorsk prior and around
    it; and the clinical dev sentences (`rules/langid/eval/clinical.dev.tsv`,
    never trained on)."""
    rng = random.Random(7)
    items = []
    with open(CORPUS_FILE, encoding="utf-8") as f:
        for line in f:
            label, source, text = line.rstrip("\n").split("\t", 2)
            if source != CV_HOLD:
                continue
            items.append(("sent", label, text))
            w = lidtrain.window(text, rng) if label in ("nob", "nno") else None
            if w is not None:
                items.append(("snip", label, w))
    with open("rules/langid/eval/clinical.dev.tsv", encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                label, text = line.rstrip("\n").split("\t", 1)
                items.append(("clin", label, text))
    for prior in [nn_bias] + CV_PRIORS:
        ok, n = Counter(), Counter()
        for kind, label, t in items:
            pred = lidtrain.predict(table, t, nynorsk_prior=prior)
            got = "other" if pred in ("swe", "dan", "eng") else pred
            n[(kind, label)] += 1
            ok[(kind, label)] += got == ("other" if label in ("swe", "dan", "eng") else label)
        line = f"cv prior {prior:+.2f}:"
        for kind in ("sent", "snip", "clin"):
            acc = {g: ok[(k, g)] / n[(k, g)] for (k, g) in sorted(n) if k == kind}
            macro = (acc["nob"] + acc["nno"]) / 2
            line += f" {kind} {macro:.4f} (" + " ".join(f"{g} {v:.3f}" for g, v in acc.items()) + ")"
        print(line, file=sys.stderr)


def main(out_path):
    nob = load_list("/usr/share/dict/bokmaal", "latin-1") | load_list(
        "/usr/share/hunspell/nb_NO.dic", "latin-1", hunspell=True
    )
    nno = load_list("/usr/share/dict/nynorsk", "latin-1") | load_list(
        "/usr/share/hunspell/nn_NO.dic", "latin-1", hunspell=True
    )
    dan = load_list("/usr/share/dict/danish", "utf-8")
    swe = load_list("/usr/share/dict/swedish", "latin-1")
    eng = load_list("/usr/share/dict/british-english", "utf-8")
    nor = nob | nno
    lists = {"nor": nor, "swe": swe, "dan": dan, "eng": eng}
    nob_only = nob - nno
    nno_only = nno - nob
    print(
        f"lists: nob {len(nob)} nno {len(nno)} nob-only {len(nob_only)} "
        f"nno-only {len(nno_only)} dan {len(dan)} swe {len(swe)} eng {len(eng)}",
        file=sys.stderr,
    )

    names = set()
    for path in ("rules/gazetteers/names/given_names.tsv", "rules/gazetteers/names/surnames.tsv"):
        with open(path, encoding="utf-8") as f:
            next(f)
            names |= {line.split("\t", 1)[0].lower() for line in f}

    markers = {}
    with open("scripts/langid/markers.tsv", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            w, v = line.rstrip("\n").split("\t")
            markers[w.lower()] = float(v)

    wf = {"nor": "nb", "swe": "sv", "dan": "da", "eng": "en"}
    freqs = {}
    for lang, code in wf.items():
        d = {}
        for w in wordfreq.top_n_list(code, TOP[code]):
            if is_word(w):
                d[w] = wordfreq.word_frequency(w, code)
        freqs[lang] = d

    corpus = load_corpus(CORPUS_FILE)
    tuned, tune_freq, tune_nno_freq = tune_weights(corpus)
    tuned = {
        w: v
        for w, v in tuned.items()
        if (v < 0 and w in nob_only)
        or (v > 0 and (w in nno_only or wordfreq.word_frequency(w, "nb") < TUNE_RADICAL * tune_nno_freq[w]))
    }
    print(f"tuned nob/nno weights: {len(tuned)} words", file=sys.stderr)

    pattern_words = {}
    for lang in ("nob", "nno"):
        with open(f"rules/synth/patterns/{lang}.txt", encoding="utf-8") as f:
            pattern_words[lang] = {
                w for line in f if not line.startswith(("#", "[")) for w in tokens(line)
            }
    pattern_both = pattern_words["nob"] & pattern_words["nno"]
    print(f"words both standards' patterns use: {len(pattern_both)}", file=sys.stderr)

    paired = paired_weights(nob_only, nno_only, nno, nob)
    print(f"paired-form nob/nno weights: {len(paired)} words", file=sys.stderr)

    words = set(tuned) | set(paired)
    for d in freqs.values():
        words |= set(d)
    words |= set(markers)
    nb_big = [w for w in wordfreq.top_n_list("nb", NB_EXCLUSIVE_TOP) if is_word(w)]
    words |= {w for w in nb_big if w in nob_only or w in nno_only}

    def logp(lang, w):
        f = freqs[lang].get(w, 0.0)
        if lang == "nor" and f == 0.0:
            f = wordfreq.word_frequency(w, "nb")
        if lang == "nor":
            f = max(f, 0.5 * tune_freq.get(w, 0.0))
            if w in nno_only or markers.get(w, 0.0) > 0.5 or tuned.get(w, 0.0) > 0.5:
                f = max(f, 2e-6)
        if f == 0.0 and w in corpus_words:
            f = 0.5 * wordfreq.word_frequency(w, wf[lang])
        if f > 0.0:
            return math.log(f)
        return math.log(2e-8) if w in lists[lang] else math.log(1e-9)

    def q(x):
        return max(-127, min(127, int(round(x * UNIT))))

    # Suffix model for words the table does not know: type counts of
    # suffixes in each language's full-form list, and in the forms only one
    # Norwegian standard accepts.
    counts = {L: Counter() for L in LANGS}
    totals = {}
    for L in LANGS:
        n = 0
        for w in lists[L]:
            if len(w) < 5:
                continue
            n += 1
            for k in SUFFIX_LENS:
                if len(w) >= k + 2:
                    counts[L][w[-k:]] += 1
        totals[L] = n
    nn_counts = {"nob": Counter(), "nno": Counter(), "both": Counter()}
    nn_totals = {}
    for name, s in (("nob", nob_only), ("nno", nno_only), ("both", nob & nno)):
        n = 0
        for w in s:
            if len(w) < 5:
                continue
            n += 1
            for k in SUFFIX_LENS:
                if len(w) >= k + 2:
                    nn_counts[name][w[-k:]] += 1
        nn_totals[name] = n
    suffixes = set()
    for L in LANGS:
        suffixes |= {s for s, c in counts[L].items() if c >= 30}
    n_suffix = 0
    suffix_entries = {}
    for s in suffixes:
        lp = [math.log((counts[L][s] + 0.5) / totals[L]) for L in LANGS]
        m = max(lp)
        lw = [max(-CLIP, x - m) for x in lp]
        cb, cn = nn_counts["nob"][s], nn_counts["nno"][s]
        nn = 0.0
        if cb + cn >= SUFFIX_NN_MIN_COUNT:
            nn = math.log((cn + 1) / nn_totals["nno"]) - math.log(
                (cb + 1) / nn_totals["nob"]
            )
            # Endings most forms of which both standards accept (`-esi`,
            # `-opi`: medical words) say little, whatever the exclusive
            # forms say.
            nn *= (cb + cn) / (cb + cn + SUFFIX_SHARED_DAMP * nn_counts["both"][s])
            if abs(nn) < 0.5:
                nn = 0.0
        spread = -min(lw)
        if spread < 1.0 and nn == 0.0:
            continue
        vals = lw + [max(-4.0, min(4.0, nn))]
        if any(q(x) for x in vals):
            suffix_entries[s] = vals
            n_suffix += 1

    corpus_words = Counter()
    for label, _, _, text in corpus:
        if label in ("nob", "nno"):
            corpus_words.update(w for w, _ in tokens_rt(text))
    words |= {w for w, c in corpus_words.items() if c >= CORPUS_MIN_COUNT and 2 <= len(w) <= 30}

    entries = {}
    for w in sorted(words):
        lp = [logp(L, w) for L in LANGS]
        m = max(lp)
        lw = [max(-CLIP, x - m) for x in lp]
        if w in markers:
            nn = markers[w]
        elif w in tuned:
            nn = tuned[w]
        elif SHARED_PATTERN_WORDS and w in pattern_both:
            nn = 0.0  # clinical words both standards' patterns use (`epikrise`)
        elif w in names or len(w) < 3:
            nn = 0.0  # names (Tord, Vik) and abbreviations (kl) carry no standard
        elif w in paired:
            nn = paired[w]
        elif w in nno_only:
            nn = LIST_NN_WEIGHT
        elif w in nob_only:
            nn = -LIST_NN_WEIGHT
        else:
            nn = 0.0
            if SUFFIX_NN_SHARED and len(w) >= 6 and (w in nob or w in nno):
                # Shared (or radical) forms: fall back on the ending.
                for k in (5, 4, 3):
                    sv = suffix_entries.get(w[-k:])
                    if sv and sv[4]:
                        nn = SUFFIX_NN_SHARED * sv[4] / UNIT
                        break
        vals = lw + [nn]
        if any(q(x) for x in vals) or w in corpus_words:
            entries[w] = vals

    for sfx, vals in suffix_entries.items():
        entries[SUFFIX_PREFIX + sfx] = vals
    print(f"table: {len(entries)} keys before training", file=sys.stderr)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    neutral = {w for w, v in entries.items() if not w.startswith(SUFFIX_PREFIX) and v[4] == 0.0}

    def lam(key):
        return LAMBDA_NN + (LAMBDA_SHARED if key in neutral else 0.0)

    entries, nn_bias = lidtrain.train(entries, corpus, lam, TRAIN_SEED, log, TRAIN_WINDOWS)
    entries = {k: [q(x) for x in v] for k, v in entries.items()}
    if os.environ.get("LANGID_DUMP"):  # the table as JSON, for inspection
        with open(os.environ["LANGID_DUMP"], "w", encoding="utf-8") as f:
            json.dump(entries, f)
    if CV:
        cv_report(entries, nn_bias)
        return
    keys = sorted(entries)
    n = len(keys)
    m = int(n / 0.98) + 1
    nb = n // 2 + 1
    buckets = defaultdict(list)
    for key in keys:
        h = fnv1a(key.encode("utf-8"))
        x = fmix64(h)
        b = ((x >> 32) * nb) >> 32
        buckets[b].append((key, h, x))
    disp = [0] * nb
    taken = bytearray(m)
    table = [None] * m
    for b in sorted(buckets, key=lambda b: (-len(buckets[b]), b)):
        items = buckets[b]
        for d in range(65536):
            pos = [slot_of(x, h, d, m) for (_, h, x) in items]
            if len(set(pos)) == len(pos) and not any(taken[p] for p in pos):
                break
        else:
            raise SystemExit(f"no displacement for bucket {b}")
        disp[b] = d
        for (key, h, x), p in zip(items, pos):
            taken[p] = 1
            table[p] = (((h >> 32) & 0xFFFFFFFF) | 1, entries[key])
    out = bytearray()
    out += b"NORLID02"
    out += struct.pack("<IIIf", nb, m, n, 1.0 / UNIT)
    out += struct.pack(f"<{nb}H", *disp)
    for slot in table:
        if slot is None:
            out += b"\x00" * 9
        else:
            fp, v = slot
            out += struct.pack("<I5b", fp, *v)
    with open(out_path, "wb") as f:
        f.write(out)
    print(
        f"model: {n} entries ({n - n_suffix} words, {n_suffix} suffixes), "
        f"{m} slots, {len(out)} bytes -> {out_path}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "rules/langid/model.bin")
