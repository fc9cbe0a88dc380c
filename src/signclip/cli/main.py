"""`signclip` command: one subcommand per module, errors as one line and a non-zero exit."""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from signclip.cli import (
    analyze,
    convert_original,
    data,
    demo,
    embed,
    evaluate,
    finetune,
    import_data,
    index,
    pose_video,
    recognize,
    render,
    search,
    serve,
    synth,
    train,
)
from signclip.errors import SignclipError

SUBCOMMANDS = {
    "demo": demo,
    "synth": synth,
    "import": import_data,
    "train": train,
    "eval": evaluate,
    "embed": embed,
    "render": render,
    "pose": pose_video,
    "data": data,
    "recognize": recognize,
    "finetune": finetune,
    "convert-original": convert_original,
    "analyze": analyze,
    "index": index,
    "search": search,
    "serve": serve,
}

EXIT_USER_ERROR = 1
EXIT_INTERNAL_ERROR = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signclip", description="Text and sign-language poses in one embedding space."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def quiet_libraries() -> None:
    """Keep Hugging Face's load reports and progress bars out of the command's output."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_VERBOSITY", "error")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_libraries()
    try:
        return int(args.run(args) or 0)
    except SignclipError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"signclip {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"signclip {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: say so, keep the traceback for --debug
        if args.debug:
            traceback.print_exc()
        print(
            f"signclip {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
