#!/usr/bin/env bash
# Fresh environment (see install.sh), then the lint checks and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install.sh
ruff check src tests benchmarks scripts
ruff format --check src tests benchmarks scripts
python -m pytest -q
