#!/usr/bin/env bash
# Rebuilds rules/langid/model.bin from Debian word lists, Debian translation
# catalogues (LibreOffice, Firefox), the Debian Edu manual, the GIMP manual
# (nynorsk), manual pages (bokmål), apertium-nno-nob translations, wordfreq,
# the test sentences of the lingua language-model crates and the tuning half
# of the UD dev sentences. Needs
# root for apt-get (or the packages already installed). Deterministic: same
# inputs, same bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
PKGS=(wnorwegian hunspell-no wdanish wswedish wbritish apertium-nno-nob)
need=()
for p in "${PKGS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get install -y "${need[@]}"
fi
# Catalogues and the manual are only read: download and unpack, no install.
DEBS=target/langid-debs
mkdir -p "$DEBS"
for p in libreoffice-l10n-nb libreoffice-l10n-nn libreoffice-l10n-sv libreoffice-l10n-da \
         firefox-esr-l10n-nb-no firefox-esr-l10n-nn-no firefox-esr-l10n-sv-se firefox-esr-l10n-da \
         debian-edu-doc-nb-no gimp-help-nn manpages-nb; do
    if [ ! -d "$DEBS/$p" ]; then
        (cd "$DEBS" && apt-get download "$p")
        dpkg -x "$DEBS/${p}"_*.deb "$DEBS/$p"
    fi
done
# The lingua language-model crates (Apache-2.0): only their test sentences
# are read. Fetched (not built) with cargo into its registry, pinned.
LINGUA=target/langid-lingua
mkdir -p "$LINGUA/src" "$LINGUA/crates"
cat > "$LINGUA/Cargo.toml" <<'EOF'
[package]
name = "langid-lingua-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
lingua-bokmal-language-model = "=1.3.0"
lingua-nynorsk-language-model = "=1.3.0"
lingua-swedish-language-model = "=1.3.0"
lingua-danish-language-model = "=1.3.0"
lingua-english-language-model = "=1.3.0"

[workspace]
EOF
: > "$LINGUA/src/lib.rs"
cargo metadata --format-version 1 --manifest-path "$LINGUA/Cargo.toml" > "$LINGUA/metadata.json"
python3 - "$LINGUA" <<'EOF'
import json, os, sys
root = sys.argv[1]
for p in json.load(open(f"{root}/metadata.json"))["packages"]:
    if p["name"].startswith("lingua-"):
        link = f"{root}/crates/{p['name']}-{p['version']}"
        if os.path.islink(link):
            os.remove(link)
        os.symlink(os.path.dirname(p["manifest_path"]), link)
EOF
scripts/langid/setup_venv.sh
# The eval files (and the tuning half the model reads) come from the shared
# UD dev sentences; rebuild them when that folder is present.
if [ -d /work/shared/data/langid ]; then
    python3 scripts/langid/make_eval.py /work/shared/data/langid
fi
mkdir -p target/langid-corpus
# What this build read, at which versions: Debian serves the catalogues at
# its current point release, so a later rebuild can differ (see
# rules/langid/README.md). Kept beside the corpus and printed.
{
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f '${Package} ${Version}\n' "$p"
    done
    for d in "$DEBS"/*.deb; do
        dpkg-deb -W --showformat '${Package} ${Version}\n' "$d"
    done
    for c in "$LINGUA"/crates/*; do
        echo "crate $(basename "$c")"
    done
    # wordfreq's frequencies, and numpy and scipy, which fit the weights.
    target/langid-venv/bin/python -c 'import importlib.metadata as m
for p in ("wordfreq", "numpy", "scipy"): print("pypi", p, m.version(p))'
} > target/langid-corpus/inputs.txt.tmp
mv target/langid-corpus/inputs.txt.tmp target/langid-corpus/inputs.txt
cat target/langid-corpus/inputs.txt
target/langid-venv/bin/python scripts/langid/corpus.py "$DEBS" "$LINGUA/crates" target/langid-corpus/train.tsv
target/langid-venv/bin/python scripts/langid/build_model.py rules/langid/model.bin
