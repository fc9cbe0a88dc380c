"""signclip synth: generate a sign-language dictionary of MediaPipe Holistic `.pose` clips.

`--cache-only PRESET` writes no `.pose` files: the manifest (its pose paths name files that are
never written) and the clips' features for `pose.preset=PRESET` under OUT/features/, attached to
the manifest so that training reads them (see `signclip.synth.cache_only`). A run must then use
that preset (and `--fps`, if given, as pose.fps).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from signclip.errors import ConfigError

if TYPE_CHECKING:
    from signclip.synth.dataset import SynthSpec
    from signclip.synth.generate import GenerateReport

HELP = "generate a synthetic sign-language dictionary (.pose files or features, and a manifest)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", required=True, help="folder for poses/ (or features/), manifest.csv, synth.json"
    )
    parser.add_argument("--concepts", type=int, default=50, help="concepts (English words)")
    parser.add_argument("--languages", type=int, default=3, help="sign languages")
    parser.add_argument("--signers", type=int, default=10, help="signers (split by signer)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same files")
    parser.add_argument("--workers", type=int, default=0, help="processes (0: all cores)")
    parser.add_argument(
        "--iconicity", type=float, default=0.3, help="share of concepts signed alike everywhere"
    )
    parser.add_argument(
        "--clips-per-sign", type=int, default=3, help="signers per (concept, language)"
    )
    parser.add_argument(
        "--minimal-pairs", type=float, default=0.1, help="share of near-copies of other signs"
    )
    parser.add_argument(
        "--cache-only",
        metavar="PRESET",
        help="no .pose files: the manifest and the features of pose.preset=PRESET (e.g. "
        "reduced-face) in OUT/features/, which training reads instead",
    )
    parser.add_argument(
        "--fps", type=float, help="with --cache-only: pose.fps of the features (default: none)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from signclip.synth.dataset import SynthSpec

    spec = SynthSpec(
        concepts=args.concepts,
        languages=args.languages,
        signers=args.signers,
        seed=args.seed,
        iconicity=args.iconicity,
        clips_per_sign=args.clips_per_sign,
        minimal_pairs=args.minimal_pairs,
    )
    if args.cache_only:
        return _cache_only(args, spec)
    if args.fps is not None:
        raise ConfigError("synth: --fps only applies with --cache-only")
    return _pose_files(args, spec)


def _pose_files(args: argparse.Namespace, spec: SynthSpec) -> int:
    from signclip.data.attached import detach_cache
    from signclip.synth.generate import generate_dataset

    report = generate_dataset(args.out, spec, workers=args.workers, progress=not args.no_progress)
    # Features attached by an earlier --cache-only run may be of another spec: read the files.
    detach_cache(report.manifest)
    _summary(report, "")
    return 0


def _cache_only(args: argparse.Namespace, spec: SynthSpec) -> int:
    from signclip.config import PoseConfig
    from signclip.synth.cache_only import generate_cache

    pose_cfg = PoseConfig(preset=args.cache_only, fps=args.fps)
    report = generate_cache(args.out, spec, pose_cfg, args.workers, not args.no_progress)
    _summary(report, " of features (reused)" if report.reused else " of features")
    print(f"features: {report.features} (no .pose files: train with pose.preset={args.cache_only})")
    return 0


def _summary(report: GenerateReport, what: str) -> None:
    splits = ", ".join(f"{name} {n}" for name, n in report.splits.items())
    print(
        f"{report.clips} clips ({splits}), {report.frames} frames, "
        f"{report.bytes / 1e6:.1f} MB{what} in {report.seconds:.1f} s"
    )
    print(f"manifest: {report.manifest}")
