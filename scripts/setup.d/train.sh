#!/usr/bin/env bash
# Python environment for the train interop check and the PyTorch side of the
# training benchmark: torch (CPU use only), transformers, safetensors, in
# $HOME/.cache/norclin/venv-train. Idempotent; set NORCLIN_SKIP_TRAIN_VENV=1
# to skip (the interop check then skips too).
set -euo pipefail
[ -n "${NORCLIN_SKIP_TRAIN_VENV:-}" ] && { echo "train venv: skipped (NORCLIN_SKIP_TRAIN_VENV)"; exit 0; }
VENV="${NORCLIN_TRAIN_VENV:-$HOME/.cache/norclin/venv-train}"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import torch, transformers, safetensors" 2>/dev/null; then
  echo "train venv: ready at $VENV"
  exit 0
fi
mkdir -p "$(dirname "$VENV")"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet torch transformers safetensors
"$VENV/bin/python" -c "import torch, transformers; print('train venv: torch', torch.__version__, 'transformers', transformers.__version__)"
