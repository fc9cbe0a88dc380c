#!/usr/bin/env bash
# Install into .venv, then run the demo on CPU with no network: generate a sign dictionary, train,
# evaluate on held-out signers, search, and write runs/demo/report/report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet torch==2.13.0
python -m pip install --quiet -e ".[dev]"
signclip demo --out runs/demo "$@"
