#!/usr/bin/env bash
# Install into .venv, then train, evaluate and use a small model on the fingerspelling letters of
# ../shared/data (155 clips, 5 sign languages), on CPU, in a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${SIGNCLIP_FINGERSPELLING:-../shared/data/fingerspelling}"
OUT="${SIGNCLIP_QUICKSTART_OUT:-runs/quickstart}"
if [ ! -f "$DATA/index.csv" ]; then
    echo "quickstart: no fingerspelling lexicon at $DATA (set SIGNCLIP_FINGERSPELLING)" >&2
    exit 1
fi
. scripts/install.sh

rm -rf "$OUT"
mkdir -p "$OUT"
signclip import fingerspelling "$DATA/index.csv" --out "$OUT/manifest.csv"
signclip train --config configs/quickstart.yaml \
    --set data.manifest="$OUT/manifest.csv" --set train.out_dir="$OUT/run"
signclip eval --model "$OUT/run/checkpoints/last" --manifest "$OUT/manifest.csv" \
    --split train --out "$OUT/eval.json"
signclip embed --model "$OUT/run/checkpoints/last" --text "<en> <ase> A" "<en> <gsg> A" \
    --out "$OUT/texts.npz"
