#!/usr/bin/env bash
# Fresh virtual environment, CPU torch first (an unpinned torch would pull a CUDA build), then the
# package with its test extras, then the checks and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet torch==2.13.0
python -m pip install --quiet -e ".[dev]"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
python -m pytest -q
