#!/usr/bin/env python3
"""PyTorch side of the training benchmark (benches/train.rs): tokens/s of one
optimizer step (forward, backward, clip, AdamW) of transformers'
BertForMaskedLM, batch 16 x 128, 15 % of positions predicted (labels -100
elsewhere), dropout off, f32, CPU, the given number of threads.

  bench_torch.py [THREADS] [PRESET ...]     default: 2 tiny small
"""
import sys
import time

import torch
from transformers import BertConfig, BertForMaskedLM

PRESETS = {
    "tiny": dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512),
    "small": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024),
}
BATCH, LEN, VOCAB = 16, 128, 30522


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    presets = sys.argv[2:] or ["tiny", "small"]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    for name in presets:
        cfg = BertConfig(
            vocab_size=VOCAB,
            max_position_embeddings=512,
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
            **PRESETS[name],
        )
        model = BertForMaskedLM(cfg).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
        ids = torch.randint(5, VOCAB, (BATCH, LEN))
        labels = ids.clone()
        labels[torch.rand(BATCH, LEN) >= 0.15] = -100

        def step():
            opt.zero_grad(set_to_none=True)
            loss = model(input_ids=ids, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()

        for _ in range(3):
            step()
        times = []
        for _ in range(10):
            t = time.perf_counter()
            step()
            times.append(time.perf_counter() - t)
        times.sort()
        median = times[len(times) // 2]
        print(f"torch {name}: {BATCH * LEN / median:.0f} tokens/s (median step {median * 1000:.1f} ms, {threads} threads)")


if __name__ == "__main__":
    main()
