"""The index folder on disk: `index.json`, `vectors.npy` and `metadata.jsonl`.

- `index.json`: format version, dimension, row count and the model's identity;
- `vectors.npy`: float32 [N, E], one row per clip, as the model compares them;
- `metadata.jsonl`: one object per row, in the same order: id, pose, text, spoken_language,
  sign_language, split, signer;
- `faiss.index` (optional): the FAISS index of exactly these vectors, written when one was built.

A save writes a hidden sibling folder and swaps it into place, so a reader sees either the old
index or the new one, never a mixture; the old folder is deleted only after the new one is in place.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from signclip.data.manifest import ClipRecord
from signclip.index.errors import SignIndexError

FORMAT_VERSION = 1
META_FILE = "index.json"
VECTORS_FILE = "vectors.npy"
RECORDS_FILE = "metadata.jsonl"
FAISS_FILE = "faiss.index"


def write_folder(
    path: Path,
    dim: int,
    model: dict,
    vectors: np.ndarray,
    records: list[ClipRecord],
    approximate=None,
) -> None:
    """Write the folder; `approximate` (anything with `write(path)`) is saved as FAISS_FILE."""
    path = Path(path)
    if path.exists() and not (path / META_FILE).is_file():
        # Never replace a folder that is not an index: it may hold someone's work.
        raise SignIndexError(f"index {path}: exists and is not a sign index; choose another path")
    path.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    staging = path.parent / f".{path.name}.tmp-{tag}"
    staging.mkdir()
    try:
        np.save(staging / VECTORS_FILE, vectors, allow_pickle=False)
        with (staging / RECORDS_FILE).open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(_row(r), ensure_ascii=False) + "\n" for r in records)
        meta = {"format_version": FORMAT_VERSION, "dim": dim, "count": len(records), "model": model}
        if approximate is not None:
            approximate.write(staging / FAISS_FILE)
        (staging / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        _swap_into_place(staging, path, tag)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_into_place(staging: Path, path: Path, tag: str) -> None:
    if not path.exists():
        os.replace(staging, path)
        return
    retired = path.parent / f".{path.name}.old-{tag}"
    os.replace(path, retired)
    os.replace(staging, path)
    shutil.rmtree(retired, ignore_errors=True)


def read_folder(path: Path) -> tuple[int, dict, np.ndarray, list[ClipRecord]]:
    """(dim, model identity, vectors, records) of an index folder; one-line errors on faults."""
    path = Path(path)
    if not (path / META_FILE).is_file():
        raise SignIndexError(f"index {path}: no such index (missing {META_FILE})")
    meta = _read_meta(path / META_FILE)
    dim, count = meta["dim"], meta["count"]
    vectors = _read_vectors(path / VECTORS_FILE)
    if vectors.shape != (count, dim):
        raise SignIndexError(
            f"index {path}: {VECTORS_FILE} has shape {list(vectors.shape)}, "
            f"{META_FILE} says [{count}, {dim}]"
        )
    records = _read_records(path / RECORDS_FILE)
    if len(records) != count:
        raise SignIndexError(
            f"index {path}: {RECORDS_FILE} has {len(records)} rows, {META_FILE} says {count}"
        )
    return dim, meta["model"], vectors, records


def _read_meta(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SignIndexError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        found = meta.get("format_version") if isinstance(meta, dict) else None
        raise SignIndexError(
            f"{path}: format_version {found!r} is not supported (expected {FORMAT_VERSION})"
        )
    for key in ("dim", "count"):
        value = meta.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise SignIndexError(f"{path}: {key!r} must be a non-negative integer, got {value!r}")
    if not isinstance(meta.get("model"), dict):
        raise SignIndexError(f"{path}: 'model' must be an object")
    return meta


def _read_vectors(path: Path) -> np.ndarray:
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise SignIndexError(f"{path}: not a readable .npy file ({exc})") from None
    if vectors.dtype != np.float32 or vectors.ndim != 2:
        raise SignIndexError(
            f"{path}: expected float32 [N, E], got {vectors.dtype} {list(vectors.shape)}"
        )
    if not np.isfinite(vectors).all():
        raise SignIndexError(f"{path}: holds NaN or infinite values")
    return vectors


def _read_records(path: Path) -> list[ClipRecord]:
    records = []
    try:
        with path.open(encoding="utf-8") as lines:
            for line_no, line in enumerate(lines, start=1):
                records.append(_record(line, f"{path} line {line_no}"))
    except OSError as exc:
        raise SignIndexError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SignIndexError(f"{path}: not UTF-8 text") from None
    return records


def _record(line: str, where: str) -> ClipRecord:
    try:
        row = json.loads(line)
        return ClipRecord(
            clip_id=_text(row["id"]),
            pose_path=Path(_text(row["pose"])),
            text=_text(row["text"]),
            spoken_language=_text(row["spoken_language"]),
            sign_language=_text(row["sign_language"]),
            split=_text(row["split"]),
            signer=None if row.get("signer") is None else _text(row["signer"]),
        )
    except ValueError as exc:
        raise SignIndexError(f"{where}: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise SignIndexError(f"{where}: missing or malformed field ({exc})") from None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def _row(record: ClipRecord) -> dict:
    return {
        "id": record.clip_id,
        "pose": str(record.pose_path),
        "text": record.text,
        "spoken_language": record.spoken_language,
        "sign_language": record.sign_language,
        "split": record.split,
        "signer": record.signer,
    }
