#!/usr/bin/env bash
# Creates the Python environment the langid scripts use, under target/ (not
# committed): wordfreq (to build the model) and lingua-language-detector (to
# compare against), numpy and scipy (to train it). All from PyPI.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=target/langid-venv
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q "wordfreq==3.1.*" "lingua-language-detector==2.1.*" \
    "numpy==2.*" "scipy==1.*"
echo "$VENV ready"
