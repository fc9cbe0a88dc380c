#!/usr/bin/env bash
# Install into .venv, then run the demo on CPU with no network: generate a sign dictionary, train,
# evaluate on held-out signers, search, and write runs/demo/report/report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install.sh
signclip demo --out runs/demo "$@"
