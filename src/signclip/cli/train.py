"""signclip train: contrastive training from a config file or preset."""

from __future__ import annotations

import argparse
import os

from signclip.cli.overrides import add_overrides
from signclip.config import load_config, preset_names

HELP = "train a model (a YAML config or a bundled preset, with --set overrides)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", required=True, help=f"YAML file or preset: {', '.join(preset_names())}"
    )
    add_overrides(parser, "--set train.lr=5e-5 --set data.manifest=clips.csv")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in train.out_dir where it stopped"
    )


def run(args: argparse.Namespace) -> int:
    from signclip.training.loop import train

    cfg = load_config(args.config, args.overrides)
    folder = train(cfg, resume=args.resume)
    # Under torchrun every rank runs this; one report is enough.
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"model: {folder.model}")
        print(f"metrics: {folder.path / 'metrics.jsonl'}")
    return 0
