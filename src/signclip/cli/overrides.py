"""The `--set KEY=VALUE` option that training commands share."""

from __future__ import annotations

import argparse


def add_overrides(parser: argparse.ArgumentParser, example: str) -> None:
    """Repeatable `--set` into `args.overrides` (a list of "section.key=value" strings)."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=(
            f"override a setting, e.g. {example}; a text setting takes VALUE as written, "
            "others read it as YAML (true, 1e-4, [0.9, 0.98], null)"
        ),
    )
