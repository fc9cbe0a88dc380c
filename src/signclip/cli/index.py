"""signclip index: build an index of a manifest's clips, add clips to it, describe it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from signclip.errors import SignclipError

HELP = "build a searchable index of a manifest's clips (build, add, info)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="embed every clip of a manifest into a new index")
    build.add_argument("--model", required=True, help="saved model folder")
    build.add_argument("--manifest", required=True, help="CSV or JSONL manifest")
    build.add_argument("--split", help="index only this split (default: every clip)")
    build.add_argument("--out", required=True, help="index folder to write")
    build.add_argument("--force", action="store_true", help="replace an existing index at --out")
    build.add_argument(
        "--faiss", action="store_true", help="also build the FAISS index (search --backend faiss)"
    )
    _add_common(build)

    add = actions.add_parser("add", help="embed a manifest's clips into an existing index")
    add.add_argument("--index", required=True, help="index folder")
    add.add_argument("--manifest", required=True, help="CSV or JSONL manifest")
    add.add_argument("--split", help="add only this split (default: every clip)")
    add.add_argument("--model", help="saved model folder (default: the index's model)")
    add.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave out clips whose id the index holds (default: refuse the whole manifest)",
    )
    _add_common(add)

    info = actions.add_parser("info", help="print an index's size, model and languages")
    info.add_argument("index", help="index folder")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch-size", type=int, default=256, help="clips embedded per chunk")
    parser.add_argument("--cache-dir", help="feature cache root (default: ~/.cache/signclip)")
    parser.add_argument(
        "--workers", type=int, default=0, help="processes parsing .pose files (0: all cores)"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "workers", 0) < 0:
        raise SignclipError(f"--workers {args.workers}: must be 0 (all cores) or more")
    return {"build": _build, "add": _add, "info": _info}[args.action](args)


def _build(args: argparse.Namespace) -> int:
    from signclip.index.build import build_index
    from signclip.index.files import META_FILE
    from signclip.index.identity import model_identity
    from signclip.inference import SignCLIPEncoder

    out = Path(args.out)
    if (out / META_FILE).is_file() and not args.force:
        raise SignclipError(
            f"--out {out}: an index exists there; use `signclip index add` or --force to replace it"
        )
    records = _records(args.manifest, args.split)
    identity = model_identity(args.model)
    encoder = SignCLIPEncoder.from_pretrained(args.model, device=args.device)
    failures = _FailurePrinter()
    index = build_index(
        encoder,
        records,
        out,
        progress=not args.no_progress,
        batch_size=args.batch_size,
        identity=identity,
        cache_dir=args.cache_dir,
        on_failure=failures,
        workers=args.workers,
        with_faiss=args.faiss,
        manifest=args.manifest,
    )
    print(f"indexed {len(index)} of {len(records)} clips → {out}{failures.summary()}")
    return 0


def _add(args: argparse.Namespace) -> int:
    from signclip.index.build import embed_records, partial_folder
    from signclip.index.files import FAISS_FILE
    from signclip.index.identity import model_identity
    from signclip.index.store import SignIndex
    from signclip.inference import SignCLIPEncoder

    path = Path(args.index)
    index = SignIndex.load(path)
    model = args.model or index.model.get("path")
    if not model:
        raise SignclipError(f"index {path}: records no model folder; give --model")
    identity = model_identity(model)
    index.check_model(identity)
    records = _new_records(index, _records(args.manifest, args.split), args.skip_existing)
    if not records:
        print(f"nothing to add: every clip of {args.manifest} is in the index")
        return 0
    encoder = SignCLIPEncoder.from_pretrained(model, device=args.device)
    failures = _FailurePrinter()
    partial = partial_folder(path)
    vectors, kept = embed_records(
        encoder,
        records,
        partial,
        index.model,
        progress=not args.no_progress,
        batch_size=args.batch_size,
        cache_dir=args.cache_dir,
        on_failure=failures,
        workers=args.workers,
        manifest=args.manifest,
    )
    index.add(vectors, kept)
    if (path / FAISS_FILE).is_file():
        # The saved FAISS index no longer covers every row: rebuilt, not dropped.
        index.approximate_index()
    index.save(path)
    _remove(partial)
    print(
        f"added {len(kept)} of {len(records)} clips → {path} ({len(index)} in all)"
        f"{failures.summary()}"
    )
    return 0


def _info(args: argparse.Namespace) -> int:
    from collections import Counter

    from signclip.index.files import FAISS_FILE
    from signclip.index.store import SignIndex

    index = SignIndex.load(args.index)
    languages = Counter(r.sign_language for r in index.records)
    print(f"index:      {Path(args.index)}")
    print(f"clips:      {len(index)}")
    print(f"dimension:  {index.dim}")
    print(f"model:      {index.model.get('path')}")
    similarity = "cosine" if index.model.get("normalize", True) else "dot product"
    print(f"similarity: {similarity}")
    print(f"faiss:      {'saved' if (Path(args.index) / FAISS_FILE).is_file() else 'none'}")
    shown = ", ".join(f"{lang} {n}" for lang, n in sorted(languages.items()))
    print(f"languages:  {shown or '-'}")
    return 0


def _records(manifest: str, split: str | None):
    from signclip.data.manifest import read_manifest

    records = read_manifest(manifest)
    if split is None:
        return records
    chosen = [r for r in records if r.split == split]
    if not chosen:
        splits = ", ".join(sorted({r.split for r in records}))
        raise SignclipError(f"manifest {manifest}: no clips in split {split!r} (splits: {splits})")
    return chosen


def _new_records(index, records, skip_existing: bool):
    present = [r.clip_id for r in records if r.clip_id in index]
    if present and not skip_existing:
        shown = ", ".join(repr(c) for c in present[:5])
        more = f" and {len(present) - 5} more" if len(present) > 5 else ""
        raise SignclipError(
            f"{len(present)} clip ids are already in the index ({shown}{more}); "
            "nothing added (--skip-existing adds the others)"
        )
    return [r for r in records if r.clip_id not in index]


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


class _FailurePrinter:
    """Reports each unreadable clip on stderr as it is found and counts them."""

    def __init__(self):
        self.count = 0

    def __call__(self, clip_id: str, reason: str) -> None:
        self.count += 1
        print(f"skipped clip {clip_id}: {reason}", file=sys.stderr)

    def summary(self) -> str:
        return f" ({self.count} unreadable clips skipped)" if self.count else ""
