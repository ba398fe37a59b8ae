#!/usr/bin/env bash
# The anchors of scripts/bench, from PyPI, in $NORCLIN_BENCH_VENV (default
# ~/.cache/norclin/venv-bench): DEDUCE and Presidio (de-identification; spaCy
# for Presidio's blank pipeline, no model download), lingua (language
# identification), tokenizers (encode_batch). Idempotent.
set -euo pipefail
VENV="${NORCLIN_BENCH_VENV:-$HOME/.cache/norclin/venv-bench}"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import deduce, presidio_analyzer, presidio_anonymizer, spacy, lingua, tokenizers" 2>/dev/null; then
  echo "bench venv: ready at $VENV"; exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
# One by one, so one that fails does not keep the others out.
status=0
for pkg in "deduce==3.0.*" "presidio-analyzer==2.2.*" "presidio-anonymizer==2.2.*" "spacy==3.8.*" \
           "lingua-language-detector==2.1.*" "tokenizers==0.23.*"; do
  "$VENV/bin/pip" install -q "$pkg" || { echo "bench venv: could not install $pkg" >&2; status=1; }
done
exit $status
