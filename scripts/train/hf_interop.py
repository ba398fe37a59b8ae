#!/usr/bin/env python3
"""Interop between norclin's candle BERT and transformers.BertForMaskedLM.

  hf_interop.py make DIR        save a small random BertForMaskedLM in HF format
                                (config.json + model.safetensors) to DIR, and
                                DIR/expected.json: input ids, attention mask and
                                the MLM logits PyTorch computes for them
  hf_interop.py check DIR       load a norclin checkpoint DIR with
                                BertForMaskedLM.from_pretrained and compare its
                                logits with DIR/norclin_logits.json (written by
                                norclin); exit 1 when they differ by more than 1e-4

Run in the venv of scripts/setup.d/train.sh. Dropout off (eval mode), f32.
"""
import json
import sys

import torch
from transformers import BertConfig, BertForMaskedLM

TOL = 1e-4


def make(out_dir, tied):
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=97,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=64,
        tie_word_embeddings=tied,
    )
    model = BertForMaskedLM(config).eval()
    # Random (not default) LayerNorm and bias values, so a wrongly loaded
    # bias or LayerNorm cannot hide behind its initial 0/1 value.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or "LayerNorm" in name:
                p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(out_dir, safe_serialization=True)
    g = torch.Generator().manual_seed(1)
    input_ids = torch.randint(5, 97, (2, 12), generator=g)
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[1, 9:] = 0
    input_ids[1, 9:] = 0
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask).logits
    with open(f"{out_dir}/expected.json", "w") as f:
        json.dump(
            {
                "input_ids": input_ids.tolist(),
                "attention_mask": mask.tolist(),
                "logits": logits.tolist(),
            },
            f,
        )
    print(f"saved HF BertForMaskedLM (tied={tied}) to {out_dir}")


def check(ckpt_dir):
    model = BertForMaskedLM.from_pretrained(ckpt_dir).eval()
    with open(f"{ckpt_dir}/norclin_logits.json") as f:
        ref = json.load(f)
    input_ids = torch.tensor(ref["input_ids"])
    mask = torch.tensor(ref["attention_mask"])
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask).logits
    theirs = torch.tensor(ref["logits"])
    keep = mask.bool()
    diff = (logits[keep] - theirs[keep]).abs().max().item()
    print(f"from_pretrained({ckpt_dir}): max |torch - norclin| = {diff:.3g}")
    if not diff <= TOL:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("make", "check"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "make":
        make(sys.argv[2], tied=(len(sys.argv) < 4 or sys.argv[3] != "untied"))
    else:
        check(sys.argv[2])
