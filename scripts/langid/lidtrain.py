"""Discriminative training of the langid bokmål/nynorsk weights (used by
build_model.py).

The classifier in src/langid/classify.rs sums one table entry per word:
the word itself, else (for unknown words of 6+ letters) the longest known
Norwegian tail of a compound at 3/4 weight, else a 5-, 4- or 3-letter
ending at 1/2 weight. `tokens_rt` and `features` mirror that exactly, so the
weights learned here are the weights the classifier will use; `predict`
mirrors its decision (build_model.py's cross-validation uses it).

The nynorsk-vs-bokmål weights are a logistic regression over those
features, pulled towards the prior weights (hand-picked markers, word-list
evidence) rather than towards zero: words the corpus lacks keep their
prior, words it has move as far as the evidence takes them. Each corpus
text is used whole and as seeded random windows of 3-8 words (snippets).
Deterministic: fixed order, seeded windows, L-BFGS.
"""

import random

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

UNIT = 16.0
NOR, NN = 0, 4
MAX_WORD = 48  # bytes
MIN_SUFFIXED = 6
MIN_COMPOUND = 7
MIN_HEAD = 3
MIN_TAIL = 4
MAX_TAILS = 10
NORWEGIAN_TAIL = 16  # units
COMPOUND_FACTOR = 0.75
SUFFIX_FACTOR = 0.5
SUFFIX_LENS = (5, 4, 3)
SENTENCE_PUNCT = set(".!?:\n-*")
SENTENCE_OTHER = {"\u2022", "\u2013"}

# Defaults of LangidConfig (src/langid/config.rs).
NORWEGIAN_PRIOR = 1.0
NYNORSK_PRIOR = -0.04


def _alpha(c):
    return c.isalpha()


def tokens_rt(text):
    """The words classify.rs scores, lower-cased, with `True` for
    capitalised words inside a sentence (names: skipped unless a strong
    bokmål/nynorsk marker). Mirrors `Langid::evidence`."""
    out = []
    n = len(text)
    i = 0
    sentence_start = True
    prev_digit = False
    while i < n:
        c = text[i]
        if not _alpha(c):
            if c.isascii():
                if "0" <= c <= "9":
                    prev_digit = True
                elif c in SENTENCE_PUNCT:
                    sentence_start = True
                    prev_digit = False
                else:
                    prev_digit = False
            else:
                if c in SENTENCE_OTHER:
                    sentence_start = True
                prev_digit = False
            i += 1
            continue
        j = i
        chars = []
        uppers = 0
        first_upper = False
        nbytes = 0
        overflow = False
        while j < n and _alpha(text[j]):
            ch = text[j]
            if ch.isupper():
                uppers += 1
                if not chars:
                    first_upper = True
            low = ch.lower()[0] if ch.isupper() or not ch.islower() else ch
            w = len(low.encode("utf-8"))
            if nbytes + w <= MAX_WORD:
                nbytes += w
            else:
                overflow = True
            chars.append(low)
            j += 1
        next_digit = j < n and "0" <= text[j] <= "9"
        at_start = sentence_start
        sentence_start = False
        skip = (
            overflow
            or prev_digit
            or next_digit
            or (uppers >= 2 and uppers == len(chars))
            or (uppers > 0 and not (first_upper and uppers == 1))
        )
        prev_digit = False
        i = j
        if skip:
            continue
        out.append(("".join(chars), first_upper and not at_start))
    return out


def features(word, table, scale=UNIT):
    """(key, factor) of one lower-cased word, or None: mirrors
    `Langid::score_word`. `table` maps keys to weights (units or nats with
    the NOR weight in index 0; only membership and NOR are read)."""
    if word in table:
        return (word, 1.0)
    chars = len(word)
    if not (MIN_SUFFIXED <= chars <= MAX_WORD):
        return None
    if chars >= MIN_COMPOUND:
        for c in list(range(MIN_HEAD, chars - MIN_TAIL + 1))[:MAX_TAILS]:
            tail = word[c:]
            w = table.get(tail)
            if w is not None and w[NOR] * scale > -NORWEGIAN_TAIL:
                return (tail, COMPOUND_FACTOR)
    for k in (5, 4):
        w = table.get(word[chars - k :])
        if w is not None and w[NOR] * scale > -NORWEGIAN_TAIL:
            return None
    for k in SUFFIX_LENS:
        key = "~" + word[chars - k :]
        if key in table:
            return (key, SUFFIX_FACTOR)
    return None


def window(text, rng):
    words = text.split()
    if len(words) < 3:
        return None
    k = rng.randint(3, min(8, len(words)))
    i = rng.randint(0, len(words) - k)
    return " ".join(words[i : i + k])


def examples(corpus, seed, windows=1):
    """(label, source weight, text) for every text and `windows` windows of
    it (each at 1/`windows` of the text's weight)."""
    rng = random.Random(seed)
    out = []
    for label, _, weight, text in corpus:
        out.append((label, weight, text))
        for _ in range(windows):
            w = window(text, rng)
            if w is not None:
                out.append((label, weight / windows, w))
    return out


def design(exs, table, index):
    """Sparse matrix of summed feature factors (rows: examples)."""
    rows, cols, vals = [], [], []
    cache = {}
    for r, (_, _, text) in enumerate(exs):
        for word, name in tokens_rt(text):
            if name:
                continue
            f = cache.get(word, 0)
            if f == 0:
                f = features(word, table)
                cache[word] = f
            if f is None:
                continue
            rows.append(r)
            cols.append(index[f[0]])
            vals.append(f[1])
    m = sparse.csr_matrix((vals, (rows, cols)), shape=(len(exs), len(index)), dtype=np.float64)
    m.sum_duplicates()
    return m


def _fit_binary(x, y, sw, w0, bias, lam):
    """Weights and bias of a logistic regression whose weights are pulled
    towards `w0` (L2, strength `lam`: a number or one per weight),
    starting from `w0` and `bias`."""
    n = w0.shape[0]

    def f(wb):
        w, b = wb[:n], wb[n]
        z = x @ w + b
        s = 2.0 * y - 1.0
        loss = np.logaddexp(0.0, -s * z)  # log(1 + exp(-s z)), stably
        p = 1.0 / (1.0 + np.exp(-z))
        r = sw * (p - y)
        g = x.T @ r
        d = w - w0
        return float(sw @ loss + 0.5 * d @ (lam * d)), np.append(g + lam * d, float(r.sum()))

    res = minimize(f, np.append(w0, bias), jac=True, method="L-BFGS-B", options={"maxiter": 400})
    return res.x[:n], float(res.x[n])


def train(entries, corpus, lam, seed, log, windows=1):
    """Refits the nynorsk-vs-bokmål weight of every key of `entries`
    (key -> [nor, swe, dan, eng, nn], nats) on the Norwegian texts of
    `corpus` ((label, source, weight, text) rows); `lam(key)` is the
    strength of the pull of that key's weight towards its prior. Returns the new entries
    and the learned bias (the nynorsk prior the weights were fitted with)."""
    keys = sorted(entries)
    index = {k: i for i, k in enumerate(keys)}
    prior = np.array([entries[k][NN] for k in keys], dtype=np.float64)
    exs = [e for e in examples(corpus, seed, windows) if e[0] in ("nob", "nno")]
    x = design(exs, entries, index)
    y = np.array([1.0 if e[0] == "nno" else 0.0 for e in exs])
    sw = np.array([e[1] for e in exs], dtype=np.float64)
    # Both standards weigh the same in total.
    w_nob, w_nno = sw * (y == 0), sw * (y == 1)
    sw = w_nob + (w_nob.sum() / max(w_nno.sum(), 1e-9)) * w_nno
    lams = np.array([lam(k) for k in keys], dtype=np.float64)
    nn, bias = _fit_binary(x, y, sw, prior, NYNORSK_PRIOR, lams)
    log(f"train nn: {len(exs)} examples, bias {bias:.3f}")
    out = {}
    for i, k in enumerate(keys):
        out[k] = list(entries[k][:NN]) + [float(max(-7.9, min(7.9, nn[i])))]
    return out, bias


def predict(table, text, min_words=1, nynorsk_prior=NYNORSK_PRIOR):
    """The classifier's fine label for `text` as one span, with `table` in
    model units (quantised, as in model.bin). Mirrors `Langid::decide`."""
    lang = [0.0] * 4
    nn = 0.0
    words = suffixed = nn_tokens = 0
    for word, name in tokens_rt(text):
        if name:
            w = table.get(word)
            if w is not None and abs(w[NN]) >= 52:
                nn += w[NN] / UNIT
                nn_tokens += 1
            continue
        f = features(word, table, scale=1.0)
        if f is None:
            continue
        w = table[f[0]]
        for k in range(4):
            lang[k] += w[k] / UNIT * f[1]
        if w[NN] != 0:
            nn += w[NN] / UNIT * f[1]
            nn_tokens += 1
        if f[1] == 1.0:
            words += 1
        else:
            suffixed += 1
    if words + suffixed == 0 or (words < min_words and nn_tokens == 0):
        return "unknown"
    lang[0] += NORWEGIAN_PRIOR
    best = max(range(4), key=lambda k: (lang[k], -k))
    if best != 0:
        return ["nor", "swe", "dan", "eng"][best]
    return "nno" if nn + nynorsk_prior >= 0.0 else "nob"
