"""signclip embed: embeddings of .pose files or texts, written with their ids."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from signclip.cli.prompt_option import add_prompt_option
from signclip.errors import SignclipError

HELP = "embed .pose files, glosses or texts with a saved model (.npz or .jsonl output)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="saved model folder")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pose", nargs="+", metavar="FILE", help=".pose files")
    source.add_argument(
        "--text", nargs="+", metavar="TEXT", help='texts used as written, e.g. "<en> <ase> house"'
    )
    source.add_argument(
        "--gloss",
        nargs="+",
        metavar="WORD",
        help="glosses or words, put in the model's prompt with --sign-language and "
        "--spoken-language",
    )
    parser.add_argument("--sign-language", help="sign language of --gloss, e.g. ase")
    parser.add_argument("--spoken-language", help="spoken language of --gloss, e.g. en")
    add_prompt_option(parser)
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
    if args.gloss and not (args.sign_language and args.spoken_language):
        raise SignclipError("--gloss needs --sign-language and --spoken-language for its prompt")
    encoder = SignCLIPEncoder.from_pretrained(args.model, device=args.device, prompt=args.prompt)
    if args.gloss:
        prompts = [encoder.prompt(g, args.spoken_language, args.sign_language) for g in args.gloss]
        write_embeddings(out, prompts, encoder.embed_texts(prompts))
        print(f"embedded {len(prompts)} glosses as prompts like {prompts[0]!r} → {out}")
        return 0
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
