"""signclip serve: the HTTP API (the original's `/api/embed/{pose|text}`, search) and a web page."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from signclip.cli.prompt_option import add_prompt_option
from signclip.errors import SignclipError

HELP = "serve embeddings and index search over HTTP, with a web page at /"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="saved model folder")
    parser.add_argument("--index", help="index folder (from `signclip index`) to search")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:1 or auto")
    add_prompt_option(parser)
    limits = parser.add_argument_group("request limits")
    limits.add_argument("--max-body-mb", type=float, default=16.0, help="request body size")
    limits.add_argument("--max-batch", type=int, default=64, help="texts or poses per request")
    limits.add_argument("--max-text-chars", type=int, default=1000, help="characters per text")
    limits.add_argument("--max-frames", type=int, default=3000, help="frames per pose")
    limits.add_argument("--max-k", type=int, default=100, help="results per search")
    limits.add_argument(
        "--queue-size", type=int, default=256, help="requests waiting for the model before 503"
    )
    limits.add_argument(
        "--batch-wait-ms", type=float, default=2.0,
        help="how long the model waits for more requests to batch with the first",
    )  # fmt: skip
    limits.add_argument(
        "--max-connections", type=int, default=128,
        help="open connections before new ones get 503",
    )  # fmt: skip
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads for the model (0: half the cores, the rest parse requests)",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from signclip.serve.app import create_app
    except ImportError as exc:
        raise SignclipError(
            f"serve needs the serve extra ({exc.name} is missing): pip install 'signclip[serve]'"
        ) from None
    import torch

    from signclip.index.identity import model_identity
    from signclip.index.store import SignIndex
    from signclip.inference import SignCLIPEncoder
    from signclip.serve.limits import MiB, ServeLimits

    if not 0 <= args.port <= 65535:
        raise SignclipError(f"--port {args.port}: use 0 to 65535")
    if not (math.isfinite(args.max_body_mb) and args.max_body_mb > 0):
        raise SignclipError(f"--max-body-mb {args.max_body_mb}: must be a positive number")
    if args.max_connections < 1:
        raise SignclipError(f"--max-connections {args.max_connections}: must be 1 or more")
    if args.threads < 0:
        raise SignclipError(f"--threads {args.threads}: must be 0 (half the cores) or more")
    limits = ServeLimits(
        max_body_bytes=int(args.max_body_mb * MiB),
        max_batch=args.max_batch,
        max_text_chars=args.max_text_chars,
        max_frames=args.max_frames,
        max_k=args.max_k,
        queue_size=args.queue_size,
        batch_wait_ms=args.batch_wait_ms,
    )
    # The model thread gets half the cores and request threads parse payloads on the rest: on a
    # busy machine, torch threads waiting for a core cost far more than they gain.
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // 2))
    encoder = SignCLIPEncoder.from_pretrained(args.model, device=args.device, prompt=args.prompt)
    index = None
    if args.index:
        index = SignIndex.load(args.index)
        index.check_model(model_identity(args.model))
    app = create_app(encoder, index, limits, model_name=Path(args.model).name)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        limit_concurrency=args.max_connections,
    )
    return 0
