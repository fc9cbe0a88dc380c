"""Embedding a manifest's clips into an index, resumably.

Clips are read through the feature cache (`signclip.data.cache`: parsed once, in parallel, bad
clips reported by id and left out), then embedded `batch_size` clips at a time. Each embedded
chunk is saved at once into a hidden `.NAME.partial` folder beside the output; a build that is
stopped and started again with the same clips and model skips every saved chunk. The partial
folder is deleted when the index has been saved.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from signclip.data.attached import open_attached
from signclip.data.cache import FeatureCache
from signclip.data.manifest import ClipRecord, read_manifest
from signclip.index.errors import SignIndexError
from signclip.index.store import SignIndex

if TYPE_CHECKING:  # torch and transformers load only when a model does
    from signclip.inference import SignCLIPEncoder

PROGRESS_FILE = "progress.json"
DEFAULT_BATCH_SIZE = 256
# Called with (clip id, one-line reason) for each clip that could not be read.
FailureHandler = Callable[[str, str], None]


def build_index(
    encoder: SignCLIPEncoder,
    records: Sequence[ClipRecord],
    out_path: str | Path,
    progress: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    identity: dict | None = None,
    cache_dir: str | Path | None = None,
    on_failure: FailureHandler | None = None,
    workers: int = 0,
    with_faiss: bool = False,
    manifest: str | Path | None = None,
) -> SignIndex:
    """Embed `records` and save them as a new index at `out_path` (replaced if it is an index).

    `identity` names the model (see `model_identity`); without it one is derived from the
    encoder's weights. Unreadable clips go to `on_failure` and are left out. `workers` processes
    parse the pose files (0: one per core). `with_faiss` also builds and saves the FAISS index.
    """
    identity = identity or encoder_identity(encoder)
    out_path = Path(out_path)
    vectors, kept = embed_records(
        encoder,
        records,
        partial_folder(out_path),
        identity,
        progress=progress,
        batch_size=batch_size,
        cache_dir=cache_dir,
        on_failure=on_failure,
        workers=workers,
        manifest=manifest,
    )
    index = SignIndex(vectors.shape[1], identity, vectors, kept)
    if with_faiss:
        index.approximate_index()
    index.save(out_path)
    shutil.rmtree(partial_folder(out_path), ignore_errors=True)
    return index


def partial_folder(out_path: Path) -> Path:
    return out_path.parent / f".{out_path.name}.partial"


def embed_records(
    encoder: SignCLIPEncoder,
    records: Sequence[ClipRecord],
    partial: Path,
    identity: dict,
    progress: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    cache_dir: str | Path | None = None,
    on_failure: FailureHandler | None = None,
    workers: int = 0,
    manifest: str | Path | None = None,
) -> tuple[np.ndarray, list[ClipRecord]]:
    """Embeddings [M, E] of the readable clips among `records`, and those clips, in input order.

    Saved chunks in `partial` from an earlier run of the same clips and model are reused. The
    features come from the cache attached to `manifest` when it has one (`signclip synth
    --cache-only` writes no `.pose` files), as training reads them.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise SignIndexError(f"batch size must be a positive integer, got {batch_size!r}")
    attached = None
    if manifest is not None:
        attached = open_attached(manifest, read_manifest(manifest), encoder.pose_config)
    cache, report = attached or FeatureCache.build_or_open(
        records,
        encoder.pose_config,
        root=_cache_root(cache_dir),
        workers=workers,
        progress=progress,
    )
    for clip_id, _, reason in report.failures:
        if on_failure is not None:
            on_failure(clip_id, reason)
    # The cache folder's name hashes every clip's id, path, size and mtime and the pose settings.
    done = _saved_chunks(partial, _run_key(cache.folder.name, identity))
    # An attached cache holds every clip of its manifest; only `records` are embedded.
    ids = {r.clip_id for r in records}
    wanted = [i for i, clip_id in enumerate(cache.ids) if clip_id in ids]
    todo = [i for i in wanted if cache.ids[i] not in done]
    done_already = len(wanted) - len(todo)
    bar = tqdm(total=len(wanted), initial=done_already, unit="clip", disable=not progress)
    with bar:
        for first in range(0, len(todo), batch_size):
            rows = todo[first : first + batch_size]
            chunk = encoder.embed_features([cache.get(i) for i in rows])
            ids = [cache.ids[i] for i in rows]
            _save_chunk(partial, len(done), ids, chunk)
            done.update(zip(ids, chunk, strict=True))
            bar.update(len(rows))
    kept = [r for r in records if r.clip_id in done]
    if not kept:
        raise SignIndexError("no clip could be embedded")
    return np.stack([done[r.clip_id] for r in kept]).astype(np.float32, copy=False), kept


def encoder_identity(encoder: SignCLIPEncoder) -> dict:
    """An identity for an encoder loaded without a folder: a hash of its weights."""
    digest = hashlib.sha256()
    for name, tensor in sorted(encoder.model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return {
        "path": None,
        "weights_sha256": digest.hexdigest(),
        "normalize": bool(encoder.model.model_config.normalize),
    }


def _cache_root(cache_dir: str | Path | None) -> Path:
    from signclip.config import DataConfig
    from signclip.data.prepared import cache_root

    return cache_root(DataConfig(cache_dir=None if cache_dir is None else str(cache_dir)))


def _run_key(cache_key: str, identity: dict) -> str:
    text = json.dumps({"clips": cache_key, "model": identity}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _saved_chunks(partial: Path, key: str) -> dict[str, np.ndarray]:
    """The embeddings saved by an earlier run with this key; a run of another key starts over."""
    marker = partial / PROGRESS_FILE
    if partial.is_dir():
        try:
            same = json.loads(marker.read_text())["key"] == key
        except (OSError, ValueError, KeyError, TypeError):
            same = False
        if not same:
            shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"key": key}) + "\n")
    done: dict[str, np.ndarray] = {}
    for chunk in sorted(partial.glob("chunk-*.npz")):
        try:
            with np.load(chunk, allow_pickle=False) as saved:
                done.update(zip(saved["ids"].tolist(), saved["vectors"], strict=True))
        except (OSError, ValueError, KeyError):
            # Chunks are renamed into place when complete, so this is outside damage: redo it.
            chunk.unlink()
    return done


def _save_chunk(partial: Path, number: int, ids: list[str], vectors: np.ndarray) -> None:
    target = partial / f"chunk-{number:09d}.npz"
    staging = target.with_suffix(".tmp")
    with staging.open("wb") as out:
        np.savez(out, ids=np.array(ids), vectors=vectors.astype(np.float32))
    os.replace(staging, target)
