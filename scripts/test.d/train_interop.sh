#!/usr/bin/env bash
# Interop check: a BertForMaskedLM saved by transformers loads in norclin with
# the same MLM logits (within 1e-4), and a norclin checkpoint loads in
# BertForMaskedLM.from_pretrained with the same logits. Needs the venv of
# scripts/setup.d/train.sh; skipped (loudly) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${NORCLIN_TRAIN_VENV:-$HOME/.cache/norclin/venv-train}"
if ! "$VENV/bin/python" -c "import torch, transformers" 2>/dev/null; then
  if [ "${CI:-}" = true ]; then
    echo "train interop: FAILED: no torch/transformers venv at $VENV under CI (scripts/setup.d/train.sh did not make it)"
    exit 1
  fi
  echo "train interop: SKIPPED (no torch/transformers venv at $VENV; run scripts/setup.d/train.sh)"
  exit 0
fi
NORCLIN_INTEROP=1 NORCLIN_TRAIN_VENV="$VENV" cargo test --locked --test it train::interop -- --nocapture
