#!/usr/bin/env python3
"""Scores `norclin deid` on the names of 4,299 public Norwegian sentences.

The sentences are the bokmål and nynorsk UD dev sentences (the text of
NorNE's dev split), with every name marked by hand as `⟦name|CAT⟧` in
`scripts/deid/ud_names/{nob,nno}.ann.txt` (categories and rules in
`GUIDE.md` there). Each sentence (or, with `--group N`, each run of N
consecutive sentences, as a document) is one note, run as written, in
lower case and in capitals. Printed per case and category: the share of
the names' letters and digits that deid masked, the names masked whole,
and the letters and digits it masked outside any name (mostly dates,
years and ages, which the gold does not mark). A genitive `s` left
outside a masked name (`[Espen]s`) counts as masked: deid keeps it out of
the span by design.

    python3 scripts/deid/ud_names.py BIN OUTDIR [--group N] [--key KEY]

BIN is a norclin binary; OUTDIR receives the inputs, deid's outputs,
`summary.json` and per case `miss_{w,l,u}.txt` and `outside_{w,l,u}.txt`.
Without `--key`, a fixed throwaway key is written to OUTDIR.
"""
import argparse
import collections
import json
import os
import re
import subprocess

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ud_names")
PARTS = ["nob", "nno"]
CATEGORIES = ["PER", "PLACE", "AREA", "COUNTRY", "ORG"]
MARK = re.compile(r"⟦([^⟦⟧|]+)\|([A-Z]+)⟧")


def read_notes(group):
    """(id, text, [(start, end, category)]) per sentence or group."""
    notes = []
    for part in PARTS:
        with open(os.path.join(HERE, f"{part}.ann.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines, 1):
            if not line:
                continue
            text, gold, last = [], [], 0
            pos = 0
            for m in MARK.finditer(line):
                before = line[last : m.start()]
                text.append(before)
                pos += len(before)
                gold.append((pos, pos + len(m.group(1)), m.group(2)))
                text.append(m.group(1))
                pos += len(m.group(1))
                last = m.end()
            text.append(line[last:])
            notes.append((f"{part}:{i}", "".join(text), gold))
    if group <= 1:
        return notes
    grouped = []
    for j in range(0, len(notes), group):
        text, gold = "", []
        for _, t, g in notes[j : j + group]:
            gold += [(a + len(text), b + len(text), c) for a, b, c in g]
            text += t + "\n"
        grouped.append((notes[j][0], text, gold))
    return grouped


def in_case(text, case):
    """The text as written (`w`), in lower case (`l`) or in capitals (`u`),
    character by character so that offsets stay."""
    if case == "w":
        return text
    fold = str.lower if case == "l" else str.upper
    return "".join(fold(c) if len(fold(c)) == 1 else c for c in text)


def score(binary, out, notes, key, case):
    path = os.path.join(out, f"in_{case}.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for k, (_, text, _) in enumerate(notes):
            note = {"note_id": f"n{k}", "patient_id": f"p{k}", "text": in_case(text, case)}
            f.write(json.dumps(note, ensure_ascii=False) + "\n")
    run = os.path.join(out, f"out_{case}")
    subprocess.run(
        [binary, "-q", "deid", "--input", path, "--out", run, "--key-file", key],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    spans = collections.defaultdict(list)
    with open(os.path.join(run, "spans.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            spans[r["note_id"]].append(r)
    # per category: characters masked, characters, names masked whole, names
    stats = {c: [0, 0, 0, 0] for c in CATEGORIES}
    outside, misses, extra = 0, collections.defaultdict(list), []
    for k, (nid, text, gold) in enumerate(notes):
        shown = in_case(text, case)
        masked = [False] * len(text)
        named = [False] * len(text)
        for r in spans[f"n{k}"]:
            for x in range(r["start"], r["end"]):
                masked[x] = True
        for a, b, cat in gold:
            chars = [x for x in range(a, b) if text[x].isalnum()]
            if len(chars) > 2 and text[b - 1] == "s" and masked[b - 2] and not masked[b - 1]:
                chars = chars[:-1]
            hit = sum(masked[x] for x in chars)
            s = stats[cat]
            s[0] += hit
            s[1] += len(chars)
            s[2] += hit == len(chars)
            s[3] += 1
            for x in range(a, b):
                named[x] = True
            if hit < len(chars):
                shown_name = "".join(shown[x] if not masked[x] else "_" for x in range(a, b))
                misses[cat].append(
                    f"{nid}  {shown[max(0, a - 40):a]}[[{shown[a:b]}]]{shown[b:b + 30]}  ~ {shown_name}"
                )
        for r in spans[f"n{k}"]:
            n = sum(1 for x in range(r["start"], r["end"]) if not named[x] and text[x].isalnum())
            outside += n
            if n:
                a, b = r["start"], r["end"]
                extra.append(
                    f"{nid}  {shown[max(0, a - 40):a]}[[{shown[a:b]}]]{shown[b:b + 25]}  {r['label']} {r['rule']}"
                )
    with open(os.path.join(out, f"miss_{case}.txt"), "w", encoding="utf-8") as f:
        for cat in CATEGORIES:
            f.write(f"## {cat} ({len(misses[cat])})\n" + "".join(m + "\n" for m in misses[cat]))
    with open(os.path.join(out, f"outside_{case}.txt"), "w", encoding="utf-8") as f:
        f.write("".join(e.replace("\n", "⏎") + "\n" for e in extra))
    return {"categories": stats, "outside_chars": outside, "outside_spans": len(extra)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("--group", type=int, default=1, help="sentences per note (default 1)")
    ap.add_argument("--key", help="key file (default: a throwaway key in OUT)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    key = a.key
    if key is None:
        key = os.path.join(a.out, "key")
        with open(key, "w") as f:
            f.write("ud-names-throwaway-key-0123456789abcdef\n")
    notes = read_notes(a.group)
    summary = {c: score(a.binary, a.out, notes, key, c) for c in "wlu"}
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"{len(notes)} notes; per case: letters masked % (names masked whole / names)")
    for case, name in (("w", "as written"), ("l", "lower case"), ("u", "capitals")):
        s = summary[case]
        cats = "  ".join(
            f"{c} {100 * v[0] / max(v[1], 1):.1f} ({v[2]}/{v[3]})" for c, v in s["categories"].items()
        )
        print(f"{name:11} {cats}  | outside names {s['outside_chars']} ({s['outside_spans']} spans)")


if __name__ == "__main__":
    main()
