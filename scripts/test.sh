#!/usr/bin/env bash
# Fresh environment (see install.sh), then the lint checks and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/install.sh
# The web page test drives Debian's chromium through Playwright (Playwright's own browser download
# is not reachable from every machine).
if ! command -v chromium >/dev/null; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
ruff check src tests benchmarks scripts
ruff format --check src tests benchmarks scripts
python -m pytest -q
