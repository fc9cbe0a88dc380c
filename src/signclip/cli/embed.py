"""signclip embed: embeddings of .pose files or texts, written with their ids."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from signclip.errors import SignclipError

HELP = "embed .pose files or texts with a saved model (.npz or .jsonl output)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="saved model folder")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pose", nargs="+", metavar="FILE", help=".pose files")
    source.add_argument("--text", nargs="+", metavar="TEXT", help='texts, e.g. "<en> <ase> house"')
    parser.add_argument(
        "--out", required=True, help="output file: .npz (ids, embeddings) or .jsonl"
    )
    parser.add_argument("--device", default="auto")


def write_embeddings(path: Path, ids: list[str], embeddings: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".npz":
        np.savez(path, ids=np.array(ids), embeddings=embeddings.astype(np.float32))
    elif path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as out:
            for clip_id, row in zip(ids, embeddings, strict=True):
                out.write(json.dumps({"id": clip_id, "embedding": row.tolist()}) + "\n")
    else:
        raise SignclipError(f"--out {path}: use a .npz or .jsonl file")


def run(args: argparse.Namespace) -> int:
    from signclip.inference import SignCLIPEncoder

    out = Path(args.out)
    if out.suffix not in (".npz", ".jsonl"):
        raise SignclipError(f"--out {out}: use a .npz or .jsonl file")
    encoder = SignCLIPEncoder.from_pretrained(args.model, device=args.device)
    if args.text:
        write_embeddings(out, list(args.text), encoder.embed_texts(args.text))
        print(f"embedded {len(args.text)} texts → {out}")
        return 0
    # Each file is read on its own so that one bad file is reported, not fatal to the others.
    ids, features, refused = [], [], 0
    for path in args.pose:
        try:
            features.append(encoder.features(path))
            ids.append(path)
        except (SignclipError, ValueError) as exc:
            refused += 1
            print(f"refused: {exc}", file=sys.stderr)
    if ids:
        write_embeddings(out, ids, encoder.embed_features(features))
    print(f"embedded {len(ids)} of {len(args.pose)} files → {out if ids else 'nothing written'}")
    return 1 if refused else 0
