"""signclip import: turn a dataset's own layout into a project manifest."""

from __future__ import annotations

import argparse
from collections import Counter

HELP = "write a manifest for a dataset layout (fingerspelling: the lexicon's index.csv)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("layout", choices=["fingerspelling"], help="the dataset's layout")
    parser.add_argument("source", help="the layout's index file (fingerspelling: index.csv)")
    parser.add_argument("--out", required=True, help="manifest to write (.csv or .jsonl)")
    split = parser.add_mutually_exclusive_group()
    split.add_argument("--test-language", help="put this sign language in the test split")
    split.add_argument(
        "--test-fraction", type=float, help="put this seeded fraction of clips in the test split"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of --test-fraction")


def run(args: argparse.Namespace) -> int:
    from signclip.data.formats.fingerspelling_lexicon import (
        hold_out,
        import_fingerspelling,
        seeded_fraction,
    )
    from signclip.data.manifest import write_manifest

    split = "train"
    if args.test_language:
        split = hold_out(args.test_language)
    elif args.test_fraction is not None:
        split = seeded_fraction(args.test_fraction, args.seed)
    records = import_fingerspelling(args.source, split)
    write_manifest(records, args.out)
    counts = Counter(r.split for r in records)
    summary = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
    print(f"{len(records)} clips ({summary}) → {args.out}")
    return 0
