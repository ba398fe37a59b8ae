#!/usr/bin/env python3
"""Scores lingua-language-detector on the same gold TSV files as
`norclin langid eval`, restricted to the five languages (Bokmål, Nynorsk,
Swedish, Danish, English), single-threaded, and prints accuracy per label,
the nob/nno macro accuracy and throughput.

Usage: target/langid-venv/bin/python scripts/langid/lingua_eval.py [--json] GOLD.tsv...

With --json, prints one JSON list (per file: file, n, per-label accuracy,
macro_nob_nno, bytes, seconds, cpu_seconds) instead of the text report.
"""

import json
import sys
import time
from collections import Counter

from lingua import Language, LanguageDetectorBuilder

CODES = {
    Language.BOKMAL: "nob",
    Language.NYNORSK: "nno",
    Language.SWEDISH: "swe",
    Language.DANISH: "dan",
    Language.ENGLISH: "eng",
}


def coarse(label):
    return "other" if label in ("swe", "dan", "eng") else label


def main(paths):
    as_json = "--json" in paths
    paths = [p for p in paths if p != "--json"]
    reports = []
    detector = (
        LanguageDetectorBuilder.from_languages(*CODES)
        .with_preloaded_language_models()
        .build()
    )
    for path in paths:
        items = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                label, text = line.rstrip("\n").split("\t", 1)
                items.append((label, text.replace("\\n", "\n")))
        start = time.perf_counter()
        cpu_start = time.process_time()
        preds = []
        for _, text in items:
            lang = detector.detect_language_of(text)
            preds.append(CODES.get(lang, "unknown"))
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        n, ok = Counter(), Counter()
        for (label, _), pred in zip(items, preds):
            n[label] += 1
            ok[label] += coarse(label) == coarse(pred)
        nbytes = sum(len(t.encode("utf-8")) for _, t in items)
        macro = (ok["nob"] / n["nob"] + ok["nno"] / n["nno"]) / 2 if n["nob"] and n["nno"] else None
        if as_json:
            reports.append({
                "file": path, "n": sum(n.values()), "macro_nob_nno": macro,
                "per_label": {l: {"n": n[l], "correct": ok[l], "accuracy": ok[l] / n[l]} for l in sorted(n)},
                "bytes": nbytes, "seconds": seconds, "cpu_seconds": cpu,
            })
            continue
        print(f"== {path} ({len(items)} examples) lingua-language-detector")
        for label in sorted(n):
            print(f"{label:<8} {n[label]:>6}  {ok[label]:>8}  {ok[label] / n[label]:.4f}")
        if macro is not None:
            print(f"macro accuracy nob/nno: {macro:.4f}")
        print(
            f"throughput: {nbytes / seconds / 1e6:.2f} MB/s on one thread ({nbytes} bytes in "
            f"{seconds:.2f} s wall; {nbytes / max(cpu, 1e-9) / 1e6:.2f} MB per CPU-second, {cpu:.2f} s CPU)"
        )
    if as_json:
        print(json.dumps(reports))


if __name__ == "__main__":
    main(sys.argv[1:])
