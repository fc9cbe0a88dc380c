"""signclip search: the clips of an index closest to a text or to a .pose file."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from signclip.cli.prompt_option import add_prompt_option
from signclip.errors import SignclipError

HELP = "search an index by text or by .pose file; prints ranked clips with scores"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", required=True, help="index folder (signclip index build)")
    query = parser.add_mutually_exclusive_group(required=True)
    query.add_argument("--text", help='a word or phrase, e.g. "house" (prompted like in training)')
    query.add_argument("--pose", metavar="FILE", help="a .pose file")
    parser.add_argument("--sign-language", help="only clips of this sign language, e.g. ase")
    parser.add_argument(
        "--spoken-language", help="only clips of this spoken language (text prompts use it)"
    )
    parser.add_argument("-k", type=int, default=10, help="number of results (default: 10)")
    parser.add_argument("--model", help="saved model folder (default: the index's model)")
    add_prompt_option(parser)
    parser.add_argument(
        "--backend",
        choices=("exact", "faiss"),
        default="exact",
        help="exact search, or approximate with FAISS (large indexes)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--device", default="auto")


def run(args: argparse.Namespace) -> int:
    from signclip.index.identity import model_identity
    from signclip.index.query import check_languages, search_pose, search_text
    from signclip.index.store import SignIndex
    from signclip.inference import SignCLIPEncoder

    if args.k < 1:
        raise SignclipError(f"-k must be at least 1, got {args.k}")
    index = SignIndex.load(args.index, backend=args.backend)
    flags = ("--sign-language", "--spoken-language")
    check_languages(index, args.sign_language, args.spoken_language, flags)
    model = args.model or index.model.get("path")
    if not model:
        raise SignclipError(f"index {args.index}: records no model folder; give --model")
    index.check_model(model_identity(model))
    encoder = SignCLIPEncoder.from_pretrained(model, device=args.device, prompt=args.prompt)
    if args.text is not None:
        hits = search_text(
            encoder,
            index,
            args.text,
            args.k,
            args.sign_language,
            args.spoken_language,
        )
    else:
        hits = search_pose(encoder, index, args.pose, args.k, args.sign_language)
    if args.json:
        print(json.dumps([asdict(hit) for hit in hits], ensure_ascii=False, indent=1))
    else:
        _print_table(hits)
    return 0


def _print_table(hits) -> None:
    if not hits:
        print("no results")
        return
    text_width = min(40, max(len("text"), *(len(h.text) for h in hits)))
    print(f"{'rank':>4}  {'score':>8}  {'text':<{text_width}}  {'lang':<5}  id")
    for hit in hits:
        text = hit.text if len(hit.text) <= text_width else hit.text[: text_width - 1] + "…"
        print(
            f"{hit.rank:>4}  {hit.score:>8.4f}  {text:<{text_width}}  "
            f"{hit.sign_language:<5}  {hit.clip_id}"
        )
