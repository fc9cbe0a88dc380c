"""The `--prompt` option of the commands that turn texts into the prompts a model reads."""

from __future__ import annotations

import argparse


def add_prompt_option(parser: argparse.ArgumentParser) -> None:
    """`--prompt TEMPLATE` into `args.prompt`; None keeps the template saved in the model folder."""
    parser.add_argument(
        "--prompt",
        metavar="TEMPLATE",
        help="prompt template with {text}, {spoken_language} and {sign_language}, e.g. "
        "'<{spoken_language}> <{sign_language}> {text}' (default: the model's own, from its "
        "folder)",
    )
