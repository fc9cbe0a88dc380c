"""Splits for layouts that have none of their own: one language held out, or seeded fractions.

A seeded draw hashes (seed, group) for each clip, so adding or removing clips never moves the
others, and every clip of one group lands in the same split. The group is the signer when the
record knows it (signer-independent splits: no signer is seen in training and tested on), else
the clip id.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
from collections.abc import Callable, Sequence

from signclip.data.manifest import ClipRecord
from signclip.errors import ConfigError

SplitRule = Callable[[ClipRecord], str]
# The split names a table of clips may use (lowercased), and the manifest's name for each.
SPLIT_NAMES = {"train": "train", "dev": "dev", "val": "dev", "validation": "dev", "test": "test"}


def add_split_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("splits (for layouts and rows without splits of their own)")
    group.add_argument("--test-language", help="put this sign language in the test split")
    group.add_argument(
        "--test-fraction",
        type=float,
        default=0.0,
        help="seeded fraction of signers (or clips, when signers are unknown) for test (default 0)",
    )
    group.add_argument(
        "--dev-fraction",
        type=float,
        default=0.0,
        help="seeded fraction of signers (or clips) for dev (default 0)",
    )
    group.add_argument("--seed", type=int, default=0, help="seed of the fractions (default 0)")


def split_rule(args: argparse.Namespace) -> SplitRule:
    """The rule the split options describe; every clip is "train" when none is given."""
    test, dev = args.test_fraction, args.dev_fraction
    for name, value in (("--test-fraction", test), ("--dev-fraction", dev)):
        if not 0 <= value <= 1:
            raise ConfigError(f"{name} {value}: must be between 0 and 1")
    if test + dev > 1:
        raise ConfigError(f"--test-fraction {test} + --dev-fraction {dev} exceed 1")
    if args.test_language:
        if test:
            raise ConfigError("--test-language and --test-fraction both choose the test split")
        return hold_out(args.test_language, dev, args.seed)
    return seeded_fractions(test, dev, args.seed)


def assign_splits(records: Sequence[ClipRecord], rule: SplitRule) -> list[ClipRecord]:
    return [dataclasses.replace(r, split=rule(r)) for r in records]


def hold_out(sign_language: str, dev: float = 0.0, seed: int = 0) -> SplitRule:
    """One sign language is the test split; the rest is train, with a seeded `dev` fraction."""
    rest = seeded_fractions(0.0, dev, seed)
    return lambda record: "test" if record.sign_language == sign_language else rest(record)


def seeded_fractions(test: float, dev: float, seed: int) -> SplitRule:
    """About `test` of the groups to "test", `dev` to "dev", the rest to "train"."""

    def rule(record: ClipRecord) -> str:
        draw = _draw(seed, record.signer or record.clip_id)
        if draw < test:
            return "test"
        return "dev" if draw < test + dev else "train"

    return rule


def _draw(seed: int, group: str) -> float:
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
