#!/usr/bin/env bash
# Sourced by the other scripts: a .venv with CPU torch installed FIRST (a package that asks for an
# unpinned torch would otherwise pull a multi-GB CUDA build), then the package and its test tools.
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet torch==2.13.0
python -m pip install --quiet -e ".[dev]"
