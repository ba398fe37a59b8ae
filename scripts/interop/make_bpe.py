"""Trains a byte-level BPE tokenizer.json with Python `tokenizers` (a
stand-in for ModernBERT-style tokenizers users bring)."""
import json
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers


def main(notes: str, out: str) -> None:
    texts = [json.loads(line)["text"] for line in open(notes, encoding="utf-8")]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=800,
        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    tok.save(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
