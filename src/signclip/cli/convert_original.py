"""signclip convert-original: an original SignCLIP checkpoint (.pt) -> a model folder."""

from __future__ import annotations

import argparse
import sys

HELP = "convert an original SignCLIP (fairseq) checkpoint into a paper-mode model folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="the original .pt file")
    parser.add_argument("--out", required=True, help="model folder to write")
    parser.add_argument(
        "--text-model",
        default="bert-base-cased",
        help="the checkpoint's text model (Hugging Face name or local folder): its config and "
        "tokenizer; the weights come from the checkpoint",
    )
    parser.add_argument(
        "--preset", default="paper-e7.2", help="paper-mode preset the checkpoint is checked against"
    )
    parser.add_argument("--force", action="store_true", help="replace a model already in --out")


def run(args: argparse.Namespace) -> int:
    from signclip.models.original_checkpoint import convert_original

    result = convert_original(
        args.checkpoint, args.out, args.text_model, args.preset, overwrite=args.force
    )
    if result.stand_ins:
        print(
            f"note: {args.checkpoint} names {len(result.stand_ins)} Python classes or functions "
            f"beyond tensors ({', '.join(result.stand_ins[:4])}"
            f"{', ...' if len(result.stand_ins) > 4 else ''}); they were read as inert "
            "placeholders, none was imported or run",
            file=sys.stderr,
        )
    shape = result.shape
    dropped = ", ".join(f"{n} {reason}" for reason, n in sorted(result.dropped.items()))
    print(
        f"converted {args.checkpoint} → {result.folder}: {result.renamed} tensors mapped"
        f"{f', dropped {dropped}' if dropped else ''}; pose layers {shape.pose_layers}, "
        f"text layers {shape.text_layers}, width {shape.width}, {shape.num_features} features "
        f"per frame, max_frames {result.max_frames} (from the {result.max_frames_source})"
    )
    return 0
