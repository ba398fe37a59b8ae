#!/usr/bin/env python3
"""The benchmark behind `scripts/bench`: norclin's stages and whole pipeline
against the tools a data steward would otherwise pick, on the same text, in
one run, with this machine's physical ceiling beside them.

Run it through `scripts/bench` (which builds the release binary and the
anchors' venv first); `scripts/bench --help` lists the options. Standard
library only: the anchors run in their own venv as subprocesses.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NOTES_PER_MB = 1040  # `norclin synth` writes about 0.96 KB of note text per note
BEGIN = "<!-- scripts/bench: begin (generated; edit the script, not this section) -->"
END = "<!-- scripts/bench: end -->"
LANGID_GOLD = ["sentences.heldout.tsv", "snippets.heldout.tsv", "docs.heldout.tsv"]


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, env=None, ok=(0,), capture=True):
    """Runs a command; returns its stdout. Fails loudly on an unexpected exit."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([str(c) for c in cmd], env=e, text=True,
                       stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE)
    if p.returncode not in ok:
        raise SystemExit(f"bench: `{' '.join(map(str, cmd))}` exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p.stdout or ""


def timed(cmd, env=None, ok=(0,)):
    """Runs `cmd` under /usr/bin/time: wall s, CPU s (user + sys), peak RSS MiB."""
    tf = Path(os.environ.get("TMPDIR", "/tmp")) / f"norclin-bench-time-{os.getpid()}"
    run(["/usr/bin/time", "-o", tf, "-f", "%e %U %S %M", *cmd], env=env, ok=ok)
    wall, user, sys_, rss = tf.read_text().split()[-4:]
    tf.unlink()
    return {"wall": float(wall), "cpu": float(user) + float(sys_), "rss_mib": int(rss) / 1024}


def text_bytes(notes_jsonl):
    n = b = 0
    with open(notes_jsonl, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                n += 1
                b += len(json.loads(line)["text"].encode("utf-8"))
    return n, b


def head_notes(src, dst, max_bytes):
    """The first notes of `src` up to `max_bytes` of text (the anchors' sample)."""
    b = 0
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for line in f:
            if not line.strip():
                continue
            out.write(line)
            b += len(json.loads(line)["text"].encode("utf-8"))
            if b >= max_bytes:
                break


def langid_quality(reports):
    """nob/nno macro accuracy per gold set, and swe/dan/eng → other."""
    parts = []
    for x in reports:
        name = Path(x["file"]).name.split(".")[0]
        if x.get("macro_nob_nno") is not None:
            parts.append(f"{name} {x['macro_nob_nno']:.3f}")
        other = [x["per_label"][l] for l in ("swe", "dan", "eng") if l in x.get("per_label", {})]
        if other:
            acc = sum(o["correct"] for o in other) / sum(o["n"] for o in other)
            parts.append(f"swe/dan/eng → other {acc:.3f}")
    return "; ".join(parts)


def summary(samples, key):
    xs = sorted(s[key] for s in samples)
    return statistics.median(xs), xs[0], xs[-1]


class Bench:
    def __init__(self, a):
        self.a = a
        self.bin = Path(a.bin)
        self.work = Path(a.work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.venv_py = Path(a.venv) / "bin" / "python"
        self.train_py = Path(a.train_venv) / "bin" / "python"
        self.results = {"stages": {}, "pipeline": {}, "ceiling": {}, "anchors": {}, "quality": {}}
        self.notes_per_mb = NOTES_PER_MB

    def nc(self, *args, threads=None):
        t = ["--threads", str(threads)] if threads else []
        return [self.bin, "-q", *t, *args]

    # -- inputs -------------------------------------------------------------
    def prepare(self):
        a, w = self.a, self.work
        notes = max(1000, int(a.size * self.notes_per_mb))
        self.corpus = w / f"corpus-{notes}"
        stamp = self.corpus / "bench-stamp.json"
        if not stamp.exists():
            log(f"generating the corpus: norclin synth --notes {notes} --seed 7 ({a.size} MB of text)")
            shutil.rmtree(self.corpus, ignore_errors=True)
            run(self.nc("synth", "--notes", notes, "--seed", 7, "--out", self.corpus, "--no-negatives"))
            n, b = text_bytes(self.corpus / "notes.jsonl")
            stamp.write_text(json.dumps({"notes": n, "text_bytes": b}))
        else:
            log(f"reusing the corpus in {self.corpus}")
        self.corpus_info = json.loads(stamp.read_text())
        self.bytes = self.corpus_info["text_bytes"]
        self.heldout = w / "heldout-2000"
        if not (self.heldout / "gold.jsonl").exists():
            log("generating the held-out quality set: norclin synth --notes 2000 --seed 12 --split heldout")
            run(self.nc("synth", "--notes", 2000, "--seed", 12, "--split", "heldout", "--out", self.heldout, "--no-negatives"))
        self.key = w / "bench.key"
        if not self.key.exists():
            self.key.write_bytes(os.urandom(32))
        self.sample = w / f"anchor-sample-{a.anchor_mb}mb.jsonl"
        head_notes(self.corpus / "notes.jsonl", self.sample, a.anchor_mb * 1e6)
        # Inputs of the stages timed alone: the corpus ingested and de-identified once.
        self.prep = w / "prep"
        if not (self.prep / "deid" / "notes.parquet").exists() or not (self.prep / "stamp").exists() or \
                self.prep.joinpath("stamp").read_text() != str(self.corpus):
            shutil.rmtree(self.prep, ignore_errors=True)
            log("preparing stage inputs (ingest, deid, a WordPiece vocabulary of 8,000)")
            run(self.nc("ingest", "--input", self.corpus / "notes.jsonl", "--out", self.prep / "ingest"))
            run(self.nc("deid", "--input", self.prep / "ingest" / "notes.parquet", "--out", self.prep / "deid", "--key-file", self.key))
            run(self.nc("tokenize", "--input", self.heldout / "notes.jsonl", "--out", self.prep / "vocab", "--vocab-size", 8000))
            (self.prep / "stamp").write_text(str(self.corpus))
        self.tokenizer = self.prep / "vocab" / "tokenizer.json"

    # -- norclin ------------------------------------------------------------
    def stage_commands(self, out):
        p, c = self.prep, self.corpus
        return {
            # The generator too (another seed, same size): it feeds every benchmark.
            "synth": (["synth", "--notes", self.corpus_info["notes"], "--seed", 8, "--out", out / "synth", "--no-negatives"], (0,)),
            "ingest": (["ingest", "--input", c / "notes.jsonl", "--out", out / "ingest"], (0,)),
            "deid": (["deid", "--input", p / "ingest" / "notes.parquet", "--out", out / "deid", "--key-file", self.key], (0,)),
            # The same with the corpus's patient register (every patient's known identifiers).
            "deid + register": (["deid", "--input", p / "ingest" / "notes.parquet", "--out", out / "deid_register", "--key-file", self.key,
                                 "--register", c / "register.csv"], (0,)),
            "langid": (["langid", "--input", p / "deid" / "notes.parquet", "--out", out / "langid.jsonl"], (0,)),
            "tokenize": (["tokenize", "--input", p / "deid" / "notes.parquet", "--out", out / "tokens", "--tokenizer", self.tokenizer], (0,)),
            # Exit 3 = release blockers found; the timing counts either way.
            "audit": (["audit", "--input", p / "deid", "--register", c / "register.csv", "--out", out / "audit"], (0, 3)),
        }

    def pipeline_file(self, path):
        path.write_text(f"""version = 1
run_dir = "run"

[[stages]]
type = "ingest"
inputs = ["{self.corpus / 'notes.jsonl'}"]

[[stages]]
type = "deid"
key_file = "{self.key}"

[[stages]]
type = "langid"

[[stages]]
type = "tokenize"
tokenizer = "{self.tokenizer}"
""")

    def time_norclin(self):
        a = self.a
        out = self.work / "out"
        pipe = self.work / "pipeline.toml"
        self.pipeline_file(pipe)
        for threads in a.threads:
            for r in range(a.runs):
                for stage, (args, ok) in self.stage_commands(out).items():
                    shutil.rmtree(out, ignore_errors=True)
                    out.mkdir(parents=True)
                    t = timed(self.nc(*args, threads=threads), ok=ok)
                    self.results["stages"].setdefault(stage, {}).setdefault(threads, []).append(t)
                    log(f"{stage:<9} {threads} thr run {r + 1}/{a.runs}: {t['wall']:.2f} s, {self.bytes / t['wall'] / 1e6:.1f} MB/s, {t['rss_mib']:.0f} MiB")
                shutil.rmtree(out, ignore_errors=True)
                t = timed(self.nc("run", pipe, "--run-dir", out / "run", threads=threads))
                self.results["pipeline"].setdefault(threads, []).append(t)
                log(f"pipeline  {threads} thr run {r + 1}/{a.runs}: {t['wall']:.2f} s, {self.bytes / t['wall'] / 1e6:.1f} MB/s")
        shutil.rmtree(out, ignore_errors=True)

    def ceiling(self):
        for threads in self.a.threads:
            outp = run(["cargo", "bench", "--locked", "-q", "--bench", "ceiling"],
                       env={"NORCLIN_CEILING_FILE": str(self.corpus / "notes.jsonl"), "RAYON_NUM_THREADS": str(threads)})
            line = [l for l in outp.splitlines() if l.startswith("{")][-1]
            c = json.loads(line)
            self.results["ceiling"][threads] = c
            log(f"ceiling {threads} thr: read {c['read_mb_s']} MB/s, gazetteer {c['gazetteer_mb_s']} MB/s (of JSONL bytes)")

    # -- anchors ------------------------------------------------------------
    def anchor_ready(self, py, modules):
        if not py.exists():
            return f"no venv at {py.parent.parent}"
        p = subprocess.run([str(py), "-c", f"import {', '.join(modules)}"], capture_output=True, text=True)
        return None if p.returncode == 0 else p.stderr.strip().splitlines()[-1]

    def score(self, spans, name):
        h = self.heldout
        out = self.work / f"eval-{name}.json"
        run(self.nc("deid", "eval", "--gold", h / "gold.jsonl", "--format", "jsonl",
                    "--pred", spans, "--notes", h / "notes.jsonl", "--json", out))
        j = json.loads(out.read_text())
        tok = j["token"]["overall"]
        ent = j["entity_overlap"]["overall"]
        return {"token_precision": tok["precision"], "token_recall": tok["recall"],
                "entity_overlap_precision": ent["precision"], "entity_overlap_recall": ent["recall"]}

    def deid_quality_and_anchors(self):
        h, w = self.heldout, self.work
        d = w / "heldout-deid"
        shutil.rmtree(d, ignore_errors=True)
        run(self.nc("deid", "--input", h / "notes.jsonl", "--out", d, "--key-file", self.key))
        self.results["quality"]["norclin deid"] = self.score(d / "spans.jsonl", "norclin")
        missing = self.anchor_ready(self.venv_py, ["deduce", "presidio_analyzer", "presidio_anonymizer", "spacy"])
        for tool in ("deduce", "presidio"):
            if missing:
                self.results["anchors"][tool] = {"error": f"not installed: {missing}"}
                continue
            spans = w / f"heldout-{tool}-spans.jsonl"
            try:
                run([self.venv_py, HERE / "deid_anchor.py", tool, h / "notes.jsonl", spans])
                self.results["quality"][tool] = self.score(spans, tool)
                t = json.loads(run([self.venv_py, HERE / "deid_anchor.py", tool, self.sample, w / f"sample-{tool}-spans.jsonl"]).strip().splitlines()[-1])
                self.results["anchors"][tool] = t
                log(f"{tool}: {t['bytes'] / t['seconds'] / 1e6:.3f} MB/s on one thread ({t['bytes']} bytes)")
            except SystemExit as e:
                self.results["anchors"][tool] = {"error": "failed: " + str(e).strip().splitlines()[-1][:200]}
        # norclin deid on exactly the anchors' sample, for the same-text figure.
        s = w / "sample-deid"
        shutil.rmtree(s, ignore_errors=True)
        t = timed(self.nc("deid", "--input", self.sample, "--out", s, "--key-file", self.key, threads=1))
        self.results["anchors"]["norclin deid on the sample"] = {"bytes": text_bytes(self.sample)[1], "seconds": t["wall"]}

    def langid(self):
        gold = [ROOT / "rules" / "langid" / "eval" / g for g in LANGID_GOLD]
        ours = [dict(file=j["gold"], **j["report"]) for j in
                (json.loads(l) for l in run(self.nc("langid", "eval", "--json", "--repeat", 5, "--gold", *gold)).splitlines() if l.strip())]
        self.results["anchors"]["norclin langid"] = ours
        missing = self.anchor_ready(self.venv_py, ["lingua"])
        if missing:
            self.results["anchors"]["lingua"] = {"error": f"not installed: {missing}"}
            return
        theirs = json.loads(run([self.venv_py, ROOT / "scripts" / "langid" / "lingua_eval.py", "--json", *gold]))
        self.results["anchors"]["lingua"] = theirs

    def tokenizers(self):
        missing = self.anchor_ready(self.venv_py, ["tokenizers"])
        if missing:
            self.results["anchors"]["tokenizers"] = {"error": f"not installed: {missing}"}
            return
        texts = self.prep / "deid" / "notes.jsonl"
        for threads in self.a.threads:
            env = {"RAYON_NUM_THREADS": str(threads), "RAYON_RS_NUM_CPUS": str(threads), "TOKENIZERS_PARALLELISM": "true"}
            j = json.loads(run([self.venv_py, HERE / "tokenizers_anchor.py", self.tokenizer, texts, 1], env=env).strip())
            self.results["anchors"].setdefault("tokenizers", {})[threads] = j
            log(f"tokenizers encode_batch {threads} thr: {j['bytes'] / j['seconds'] / 1e6:.2f} MB/s")

    def train(self):
        res = self.results["anchors"].setdefault("train", {})
        crit = re.compile(r"train_step/([\w-]+)\s+time:\s+\[\S+ \S+ (\S+) (\S+) ")
        unit = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6}
        missing = self.anchor_ready(self.train_py, ["torch", "transformers"])
        for threads in self.a.threads:
            outp = run(["cargo", "bench", "--locked", "-q", "--bench", "train", "--",
                        "--warm-up-time", "1", "--measurement-time", "5"],
                       env={"RAYON_NUM_THREADS": str(threads)})
            for m in crit.finditer(outp):
                res.setdefault(m.group(1), {}).setdefault("norclin", {})[threads] = 16 * 128 / (float(m.group(2)) * unit[m.group(3)])
            if missing:
                res["torch_error"] = f"not installed: {missing}"
                continue
            outp = run([self.train_py, ROOT / "scripts" / "train" / "bench_torch.py", threads, "tiny", "small"])
            for m in re.finditer(r"torch (\w+): (\d+) tokens/s", outp):
                res.setdefault(m.group(1), {}).setdefault("torch", {})[threads] = float(m.group(2))
            log(f"train {threads} thr: {json.dumps({k: v for k, v in res.items() if k != 'torch_error'})}")

    # -- report -------------------------------------------------------------
    def machine(self):
        cpu = "unknown CPU"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
        commit = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).strip()
        dirty = run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).strip()
        return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem, 1), "kernel": platform.release(),
                "commit": commit + ("+changes" if dirty else ""),
                "load_start": self.load_start, "load_end": os.getloadavg()}

    def markdown(self, started, seconds):
        r, a, B = self.results, self.a, self.bytes
        m = self.machine()
        mbs = lambda b, s: b / s / 1e6
        L = []
        L.append(f"Generated by `{self.command}` on {started:%Y-%m-%d %H:%M} UTC in {seconds / 60:.1f} min. "
                 f"Machine: {m['cpu']}, {m['cores']} cores, {m['mem_gib']} GiB, Linux {m['kernel']}; "
                 f"load average {m['load_start'][0]:.2f} at the start, {m['load_end'][0]:.2f} at the end; commit {m['commit']}.")
        L.append("")
        L.append(f"Corpus: `norclin synth --notes {self.corpus_info['notes']} --seed 7` = {B / 1e6:.1f} MB of note text "
                 f"(throughput is MB of note text per second, 10^6 bytes). Quality: `norclin synth --notes 2000 --seed 12 "
                 f"--split heldout` (patterns and names the detectors were not tuned on), scored by `norclin deid eval` "
                 f"(token level, any identifier vs none). Slow anchors run on the first {a.anchor_mb} MB of the corpus, on "
                 f"one thread (they are single-threaded Python); norclin's figures are for the whole corpus.")
        L.append("")

        def med(samples, key="wall"):
            return summary(samples, key)[0]

        def stage_mbs(stage, t):
            s = r["stages"].get(stage, {}).get(t)
            return mbs(B, med(s)) if s else None

        ceil = r["ceiling"]
        def ceil_txt(t):
            c = ceil.get(t)
            return f"read {c['read_mb_s']:.0f} / gazetteer {c['gazetteer_mb_s']:.0f}" if c else "—"

        t1, tN = a.threads[0], a.threads[-1]
        L.append(f"| stage | norclin {t1} thr | norclin {tN} thr | anchor | anchor | ratio (same threads) | ceiling {tN} thr, MB/s | quality |")
        L.append("|---|---:|---:|---|---:|---:|---|---|")
        fmt = lambda x, d=1: "—" if x is None else f"{x:,.{d}f}"

        L.append(f"| synth (generation, all files) | {fmt(stage_mbs('synth', t1))} MB/s | {fmt(stage_mbs('synth', tN))} MB/s | — (no anchor named) | | | {ceil_txt(tN)} | gold spans exact (tests) |")
        L.append(f"| ingest | {fmt(stage_mbs('ingest', t1))} MB/s | {fmt(stage_mbs('ingest', tN))} MB/s | — (no anchor named) | | | {ceil_txt(tN)} | rows conserved |")
        q = r["quality"]
        qtxt = lambda k: (f"P {q[k]['token_precision']:.3f} / R {q[k]['token_recall']:.3f}" if k in q else "—")
        sample_nc = r["anchors"].get("norclin deid on the sample")
        for tool, name in (("deduce", "DEDUCE"), ("presidio", "Presidio (regex, blank spaCy)")):
            an = r["anchors"].get(tool, {})
            if "error" in an:
                L.append(f"| deid | {fmt(stage_mbs('deid', t1))} MB/s | {fmt(stage_mbs('deid', tN))} MB/s | {name} | **{an['error']}** | | | norclin {qtxt('norclin deid')} |")
                continue
            at = mbs(an["bytes"], an["seconds"])
            ratio = stage_mbs("deid", 1) / at if 1 in a.threads and stage_mbs("deid", 1) else None
            L.append(f"| deid | {fmt(stage_mbs('deid', t1))} MB/s | {fmt(stage_mbs('deid', tN))} MB/s | {name} | {at:.3f} MB/s | "
                     f"{fmt(ratio, 0)}× | {ceil_txt(tN)} | norclin {qtxt('norclin deid')}; {name.split(' ')[0]} {qtxt(tool)} |")
        L.append(f"| deid with the patient register | {fmt(stage_mbs('deid + register', t1))} MB/s | {fmt(stage_mbs('deid + register', tN))} MB/s | — (no anchor has one) | | | {ceil_txt(tN)} | |")
        ours, lg = r["anchors"].get("norclin langid"), r["anchors"].get("lingua", {})
        if ours:
            o_mb = sum(x["bytes"] for x in ours) / sum(x["seconds"] for x in ours) / 1e6
            o_acc = langid_quality(ours)
            if "error" in lg:
                L.append(f"| langid (gold sets, 1 thr) | {fmt(stage_mbs('langid', t1))} MB/s | {fmt(stage_mbs('langid', tN))} MB/s | lingua | **{lg['error']}** | | {ceil_txt(tN)} | norclin nob/nno macro: {o_acc} |")
            else:
                l_mb = sum(x["bytes"] for x in lg) / sum(x["seconds"] for x in lg) / 1e6
                l_acc = langid_quality(lg)
                L.append(f"| langid | {fmt(stage_mbs('langid', t1))} MB/s ({o_mb:.1f} on the gold sets) | {fmt(stage_mbs('langid', tN))} MB/s | lingua (5 languages) | {l_mb:.2f} MB/s (gold sets) | "
                         f"{o_mb / l_mb:.0f}× | {ceil_txt(tN)} | nob/nno macro, norclin: {o_acc}; lingua: {l_acc} |")
        tk = r["anchors"].get("tokenizers", {})
        for t in a.threads:
            if "error" in tk:
                L.append(f"| tokenize ({t} thr) | | | tokenizers | **{tk['error']}** | | | |")
                break
            j = tk.get(t)
            if not j:
                continue
            raw = mbs(j["bytes"], j["seconds"])
            ours_t = stage_mbs("tokenize", t)
            L.append(f"| tokenize + shards ({t} thr) | {fmt(ours_t) if t == t1 else ''} | {fmt(ours_t) if t == tN else ''} | tokenizers `encode_batch` (in memory, no I/O) | {raw:.2f} MB/s | "
                     f"{fmt(ours_t / raw if ours_t else None, 2)}× | {ceil_txt(t)} | same tokenizer.json, same ids (interop test) |")
        L.append(f"| audit (scan, register, rare tokens, sample, HTML) | {fmt(stage_mbs('audit', t1))} MB/s | {fmt(stage_mbs('audit', tN))} MB/s | — (no anchor named) | | | {ceil_txt(tN)} | |")
        pl = r["pipeline"]
        if pl:
            L.append(f"| whole pipeline (ingest → deid → langid → tokenize) | {fmt(mbs(B, med(pl[t1])) if t1 in pl else None)} MB/s | "
                     f"{fmt(mbs(B, med(pl[tN])) if tN in pl else None)} MB/s | — | | | {ceil_txt(tN)} | |")
        tr = r["anchors"].get("train", {})
        for preset in ("tiny", "small"):
            if preset not in tr:
                continue
            nc, tc = tr[preset].get("norclin", {}), tr[preset].get("torch", {})
            for t in a.threads:
                if t not in nc:
                    continue
                torch_txt = f"{tc[t]:,.0f} tokens/s" if t in tc else f"**{tr.get('torch_error', 'not measured')}**"
                ratio = f"{nc[t] / tc[t]:.2f}×" if t in tc else ""
                L.append(f"| train step, `{preset}` ({t} thr) | {'' if t != t1 else f'{nc[t]:,.0f} tokens/s'} | {'' if t != tN else f'{nc[t]:,.0f} tokens/s'} | "
                         f"PyTorch `BertForMaskedLM` | {torch_txt} | {ratio} | | batch 16 × 128, f32, dropout off |")
        L.append("")
        L.append("Ceiling: `benches/ceiling.rs` over the corpus JSONL (sequential read from the page cache; one lookup "
                 "of every word of the case-folded lines in the full shipped gazetteer). Ratio: norclin ÷ anchor at the same "
                 "thread count (deid and langid: norclin on one thread against the single-threaded anchors).")
        L.append("")
        L.append(f"Each norclin stage alone and the whole pipeline, {a.runs} runs per thread count (median, min–max):")
        L.append("")
        L.append("| what | threads | wall s (median) | spread s | CPU s | MB/s | peak RSS MiB |")
        L.append("|---|---:|---:|---|---:|---:|---:|")
        rows = [(s, t, v) for s, by in r["stages"].items() for t, v in by.items()] + [("whole pipeline", t, v) for t, v in pl.items()]
        for s, t, v in rows:
            wm, wlo, whi = summary(v, "wall")
            L.append(f"| {s} | {t} | {wm:.2f} | {wlo:.2f}–{whi:.2f} | {summary(v, 'cpu')[0]:.2f} | {mbs(B, wm):.1f} | {summary(v, 'rss_mib')[0]:.0f} |")
        L.append("")
        L.append("Commands (`W` = the bench folder, `N` = threads): `norclin synth --notes SAME --seed 8 --no-negatives`, `ingest --input W/corpus/notes.jsonl`, "
                 "`deid --input W/prep/ingest/notes.parquet --key-file K` (and with `--register W/corpus/register.csv`), `langid --input W/prep/deid/notes.parquet`, "
                 "`tokenize --input W/prep/deid/notes.parquet --tokenizer W/prep/vocab/tokenizer.json` (WordPiece 8,000, "
                 "note mode, max_len 512), `audit --input W/prep/deid --register W/corpus/register.csv`, "
                 "`run W/pipeline.toml`, each as `norclin -q --threads N ...` under `/usr/bin/time`.")
        return "\n".join(L) + "\n"

    def write(self, md):
        (self.work / "bench.md").write_text(md)
        (self.work / "bench.json").write_text(json.dumps(self.results, indent=1, default=str))
        print(md)
        if self.a.no_write:
            return
        bm = ROOT / "BENCHMARKS.md"
        text = bm.read_text() if bm.exists() else "# Benchmarks\n"
        section = f"{BEGIN}\n## Side by side: `scripts/bench`\n\n{md}{END}"
        if BEGIN in text and END in text:
            pre, rest = text.split(BEGIN, 1)
            text = pre + section + rest.split(END, 1)[1]
        elif "\n## " in text:
            head, tail = text.split("\n## ", 1)
            text = f"{head}\n{section}\n\n## {tail}"
        else:
            text = f"{text.rstrip()}\n\n{section}\n"
        tmp = bm.with_suffix(".md.tmp")
        tmp.write_text(text)
        tmp.replace(bm)
        log(f"wrote {bm} (section between the scripts/bench markers) and {self.work}/bench.md, bench.json")

    def main(self):
        started = datetime.datetime.now(datetime.timezone.utc)
        t0 = time.time()
        self.load_start = os.getloadavg()
        args, skip = [], False
        for x in sys.argv[1:]:  # the wrapper's own --bin is not the user's command
            if skip or x == "--bin":
                skip = not skip
                continue
            args.append(x)
        self.command = " ".join(["scripts/bench", *args])
        self.prepare()
        self.ceiling()
        self.deid_quality_and_anchors()
        self.langid()
        self.tokenizers()
        if not self.a.skip_train:
            self.train()
        self.time_norclin()
        self.write(self.markdown(started, time.time() - t0))


def parse():
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=float, default=200, help="MB of note text in the generated corpus (default 200)")
    p.add_argument("--runs", type=int, default=3, help="runs per norclin stage and thread count (default 3)")
    p.add_argument("--threads", default="1,2", help="thread counts, comma-separated (default 1,2)")
    p.add_argument("--anchor-mb", type=float, default=1.0, help="MB of text the slow Python anchors are timed on (default 1)")
    p.add_argument("--skip-train", action="store_true", help="leave out the training-step comparison")
    p.add_argument("--no-write", action="store_true", help="print the table, leave BENCHMARKS.md alone")
    p.add_argument("--work", default=os.path.expanduser("~/.cache/norclin/bench"), help="bench folder (kept: corpus, venv outputs)")
    p.add_argument("--bin", required=True, help="norclin release binary")
    p.add_argument("--venv", default=os.path.expanduser("~/.cache/norclin/venv-bench"), help="anchors' venv")
    p.add_argument("--train-venv", default=os.path.expanduser("~/.cache/norclin/venv-train"), help="PyTorch venv")
    a = p.parse_args()
    a.threads = sorted({int(t) for t in a.threads.split(",")})
    return a


if __name__ == "__main__":
    Bench(parse()).main()
