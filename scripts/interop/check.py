"""Checks one norclin shard directory against pyarrow, polars, HF datasets
and Python tokenizers. Exits non-zero with a message on the first mismatch."""
import hashlib
import json
import os
import sys
from collections import defaultdict

import datasets
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from tokenizers import Tokenizer


def fail(msg: str) -> None:
    print(f"interop FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def main(shard_dir: str, notes_path: str) -> None:
    manifest = json.load(open(os.path.join(shard_dir, "manifest.json")))
    texts = {}
    patient = {}
    for line in open(notes_path, encoding="utf-8"):
        n = json.loads(line)
        texts[n["note_id"]] = n["text"]
        patient[n["note_id"]] = n["patient_id"]
    want_type = pa.uint16() if manifest["dtype"] == "uint16" else pa.uint32()

    rows_by_split = defaultdict(list)
    for s in manifest["shards"]:
        path = os.path.join(shard_dir, s["file"])
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if digest != s["sha256"]:
            fail(f"{s['file']}: sha256 differs from the manifest")
        table = pq.read_table(path)
        if table.num_rows != s["rows"]:
            fail(f"{s['file']}: {table.num_rows} rows, manifest says {s['rows']}")
        if table.schema.field("input_ids").type.value_type != want_type:
            fail(f"{s['file']}: input_ids items are {table.schema.field('input_ids').type}")
        pa_rows = table.select(["seq_id", "input_ids"]).to_pylist()
        pl_df = pl.read_parquet(path)
        if pl_df.height != s["rows"]:
            fail(f"{s['file']}: polars reads {pl_df.height} rows")
        pl_rows = pl_df.select(["seq_id", "input_ids"]).to_dicts()
        for a, b in zip(pa_rows, pl_rows):
            if a["seq_id"] != b["seq_id"] or list(a["input_ids"]) != list(b["input_ids"]):
                fail(f"{s['file']}: pyarrow and polars disagree at seq_id {a['seq_id']}")
        if sum(len(r["input_ids"]) for r in pa_rows) != s["tokens"]:
            fail(f"{s['file']}: token count differs from the manifest")
        rows_by_split[s["split"]].extend(table.to_pylist())

    # HF datasets, one split at a time, same rows and ids in the same order.
    for split, rows in rows_by_split.items():
        files = [os.path.join(shard_dir, s["file"]) for s in manifest["shards"] if s["split"] == split]
        ds = datasets.load_dataset("parquet", data_files={split: files}, split=split)
        if ds.num_rows != len(rows):
            fail(f"datasets: {split} has {ds.num_rows} rows, pyarrow {len(rows)}")
        if ds["seq_id"] != [r["seq_id"] for r in rows]:
            fail(f"datasets: {split} seq_ids differ")
        if [list(x) for x in ds["input_ids"]] != [list(r["input_ids"]) for r in rows]:
            fail(f"datasets: {split} input_ids differ")

    # No patient in two splits.
    split_of = {}
    for split, rows in rows_by_split.items():
        for r in rows:
            for nid in r["note_ids"]:
                p = patient[nid]
                if split_of.setdefault(p, split) != split:
                    fail(f"patient {p} in {split_of[p]} and {split}")

    # Python tokenizers gives the same ids with the saved tokenizer.json.
    tok = Tokenizer.from_file(os.path.join(shard_dir, "tokenizer.json"))
    prefix = manifest["special_tokens"]["prefix"]
    suffix = manifest["special_tokens"]["suffix"]
    sep = manifest["special_tokens"]["separator"]
    pieces = defaultdict(list)
    for rows in rows_by_split.values():
        for r in rows:
            ids = list(r["input_ids"])
            if ids[: len(prefix)] != prefix or ids[len(ids) - len(suffix):] != suffix:
                fail(f"seq {r['seq_id']}: special tokens differ from the post-processor's")
            offs = list(r["note_offsets"]) + [len(ids) - len(suffix) + len(sep)]
            for k, nid in enumerate(r["note_ids"]):
                pieces[nid].append((r["seq_id"], ids[offs[k]: offs[k + 1] - len(sep)]))
            if len(r["note_ids"]) == 1 and manifest["mode"] == "note":
                full = tok.encode(texts[r["note_ids"][0]]).ids
                if len(full) <= manifest["max_len"] and full != ids:
                    fail(f"note {r['note_ids'][0]}: ids differ from Python tokenizers")
    checked = 0
    for nid, parts in pieces.items():
        parts.sort()
        got = [i for _, p in parts for i in p]
        want = tok.encode(texts[nid], add_special_tokens=False).ids
        if got != want:
            fail(f"note {nid}: content ids differ from Python tokenizers ({len(got)} vs {len(want)})")
        checked += 1
    # transformers loads the directory unchanged (tokenizer.json +
    # tokenizer_config.json) and encodes the same ids.
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(shard_dir)
    for nid in list(texts)[:50]:
        if hf(texts[nid])["input_ids"] != tok.encode(texts[nid]).ids:
            fail(f"transformers: note {nid} encodes differently")
    decoded = tok.decode(tok.encode("Pasienten ble lagt inn på sjukehuset i går").ids)
    if "på" not in decoded.lower() or "går" not in decoded.lower():
        fail(f"accents lost: {decoded!r}")
    total = sum(len(v) for v in rows_by_split.values())
    print(f"interop: {shard_dir}: {total} rows in {len(manifest['shards'])} shards agree in pyarrow, "
          f"polars and datasets; {checked} notes encode identically in Python tokenizers; "
          f"transformers AutoTokenizer agrees")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
