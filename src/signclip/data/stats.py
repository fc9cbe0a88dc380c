"""What a dataset holds: clips per sign language, concept, split and signer, clip lengths, and how
often the hands are missing, from a manifest and its `.pose` files.

Counts of clips (per sign language, concept, split, signer) come from the manifest, so every row
counts. Lengths and missing-hand rates come from the pose files: a file that cannot be read is
counted and named (with the reason) and left out of those two, never fatal.

A hand is missing in a frame when every one of its points has confidence 0 (pose-format's mask).
The hands are MediaPipe's LEFT_HAND_LANDMARKS / RIGHT_HAND_LANDMARKS or OpenPose's
hand_left_keypoints_2d / hand_right_keypoints_2d. A layout without a hand component (a reduced
file with one hand only) says nothing about that hand: its frames are left out of that hand's
rate (and of the both-hands rate) instead of counting as missing. Rates are per frame, pooled over
the clips of a sign language (long clips weigh more, as they do in training).

With a cache folder, each file's summary is kept under its fingerprint (path, size, modification
time), so a rerun on a large dataset reads only the files that are new or changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from signclip.data.manifest import ClipRecord
from signclip.errors import PoseFileError
from signclip.parallel import ordered_map
from signclip.pose.io import read_pose

HANDS = {
    "left": ("LEFT_HAND_LANDMARKS", "hand_left_keypoints_2d"),
    "right": ("RIGHT_HAND_LANDMARKS", "hand_right_keypoints_2d"),
}
HISTOGRAM_BINS = 20
CACHE_FILE = "clip-summaries.json"
_SUMMARY_VERSION = 1  # bump when ClipSummary changes, so old cached summaries are not reused


@dataclass(frozen=True)
class ClipSummary:
    """What the statistics need from one `.pose` file."""

    frames: int
    fps: float
    # Frames with the hand missing; None when the layout has no such hand.
    left_missing: int | None
    right_missing: int | None
    both_missing: int | None


@dataclass(frozen=True)
class Unreadable:
    clip_id: str
    pose: str
    reason: str


def summarize_file(path: Path) -> ClipSummary:
    """Frames, frame rate and missing-hand frame counts of one `.pose` file (`PoseFileError`)."""
    pose = read_pose(path)
    confidence = np.asarray(np.ma.getdata(pose.body.confidence))[:, 0]  # [T, N], person 0
    missing = {}
    start = 0
    for component in pose.header.components:
        stop = start + len(component.points)
        for hand, names in HANDS.items():
            if component.name in names:
                # NaN confidence counts as 0 (not > 0).
                missing[hand] = ~(confidence[:, start:stop] > 0).any(axis=1)
        start = stop
    left, right = missing.get("left"), missing.get("right")
    both = None if left is None or right is None else int((left & right).sum())
    return ClipSummary(
        frames=int(confidence.shape[0]),
        fps=float(pose.body.fps),
        left_missing=None if left is None else int(left.sum()),
        right_missing=None if right is None else int(right.sum()),
        both_missing=both,
    )


def read_summaries(
    records: Sequence[ClipRecord],
    workers: int = 0,
    cache_dir: Path | None = None,
    progress: bool = True,
) -> tuple[dict[str, ClipSummary], list[Unreadable]]:
    """The summary of every readable clip by id (in worker processes), and the unreadable ones."""
    from tqdm import tqdm

    cached = _load_cache(cache_dir)
    keys = [_fingerprint(r.pose_path) for r in records]
    todo = [i for i, key in enumerate(keys) if key is None or key not in cached]
    fresh: dict[int, ClipSummary] = {}
    failures: dict[int, Unreadable] = {}
    with ordered_map(_summarize, [records[i].pose_path for i in todo], workers) as results:
        bar = tqdm(results, total=len(todo), desc="pose files", disable=not progress)
        for i, (summary, reason) in zip(todo, bar, strict=True):
            if summary is None:
                failures[i] = Unreadable(records[i].clip_id, str(records[i].pose_path), reason)
                continue
            fresh[i] = summary
            if keys[i] is not None:
                cached[keys[i]] = summary
    if cache_dir is not None and fresh:
        _save_cache(cache_dir, cached)
    summaries = {
        record.clip_id: fresh[i] if i in fresh else cached[keys[i]]
        for i, record in enumerate(records)
        if i not in failures
    }
    return summaries, [failures[i] for i in sorted(failures)]


def compute_stats(
    records: Sequence[ClipRecord],
    summaries: dict[str, ClipSummary],
    unreadable: Sequence[Unreadable],
) -> dict:
    """Every statistic as plain JSON-ready values."""
    by_language: dict[str, list[ClipRecord]] = defaultdict(list)
    for record in records:
        by_language[record.sign_language].append(record)
    per_concept = Counter(r.text for r in records)
    read = [summaries[r.clip_id] for r in records if r.clip_id in summaries]
    frames = np.array([s.frames for s in read], dtype=np.float64)
    seconds = np.array([s.frames / s.fps for s in read if s.fps > 0], dtype=np.float64)
    return {
        "clips": len(records),
        "clips_read": len(read),
        "unreadable": [asdict(u) for u in unreadable],
        "sign_languages": {
            language: {
                "clips": len(clips),
                "concepts": len({r.text for r in clips}),
                "missing_hands": missing_hand_rates([summaries.get(r.clip_id) for r in clips]),
            }
            for language, clips in sorted(by_language.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        },
        "concepts": {
            "count": len(per_concept),
            "clips_per_concept": distribution(
                np.array(list(per_concept.values()), float), histogram=True
            ),
            "most_clips": per_concept.most_common(10),
        },
        "splits": dict(sorted(Counter(r.split for r in records).items())),
        "signers": _signers(records),
        "length_frames": distribution(frames, histogram=True),
        "length_seconds": distribution(seconds, histogram=True),
        "unknown_fps": len(read) - len(seconds),
        "missing_hands": missing_hand_rates(read),
    }


def distribution(values: np.ndarray, histogram: bool = False) -> dict:
    """min / median / mean / p95 / max (and optionally a histogram) of `values`; empty-safe.

    Whole numbers (frames, clips) get bins centred on whole numbers, one per value when the range
    is small, so a bar never straddles two counts.
    """
    if values.size == 0:
        return {"count": 0}
    result = {
        "count": int(values.size),
        "min": float(values.min()),
        "median": float(np.median(values)),
        "mean": float(values.mean()),
        "p95": float(np.percentile(values, 95)),
        "max": float(values.max()),
    }
    if histogram:
        bins: int | np.ndarray = HISTOGRAM_BINS
        if np.all(values == np.round(values)):
            low, high = values.min(), values.max()
            step = max(1.0, np.ceil((high - low + 1) / HISTOGRAM_BINS))
            bins = np.arange(low - 0.5, high + step, step)
        counts, edges = np.histogram(values, bins=bins)
        result["histogram"] = {"counts": counts.tolist(), "edges": edges.tolist()}
    return result


def missing_hand_rates(summaries: Sequence[ClipSummary | None]) -> dict:
    """Fractions of frames with the left, the right and both hands missing (None: no frames of a
    layout that has that hand); `frames` is the number of frames read."""
    read = [s for s in summaries if s is not None]
    rates: dict = {"frames": sum(s.frames for s in read)}
    for field in ("left_missing", "right_missing", "both_missing"):
        known = [s for s in read if getattr(s, field) is not None]
        total = sum(s.frames for s in known)
        missing = sum(getattr(s, field) for s in known)
        rates[field.removesuffix("_missing")] = missing / total if total else None
    return rates


def summary_lines(stats: dict) -> list[str]:
    """The statistics as a printed table."""
    lines = [f"clips {stats['clips']} (pose files read {stats['clips_read']})"]
    lines.append(f"{'':<34}hand missing (fraction of frames)")
    lines.append(
        f"{'sign language':<16}{'clips':>8}{'concepts':>10}{'left':>8}{'right':>8}{'both':>8}"
    )
    rows = [*stats["sign_languages"].items(), ("(all)", _all_languages(stats))]
    for language, row in rows:
        hands = row["missing_hands"]
        lines.append(
            f"{language:<16}{row['clips']:>8}{row['concepts']:>10}"
            + "".join(f"{_rate(hands[h]):>8}" for h in ("left", "right", "both"))
        )
    per_concept = stats["concepts"]["clips_per_concept"]
    lines.append(f"concepts {stats['concepts']['count']}; clips per concept {_spread(per_concept)}")
    splits = ", ".join(f"{name} {n}" for name, n in stats["splits"].items())
    lines.append(f"splits: {splits}")
    signers = stats["signers"]
    per_split = ", ".join(f"{name} {n}" for name, n in signers["per_split"].items())
    lines.append(
        f"signers {signers['count']} ({per_split or 'none'}; "
        f"{signers['clips_without_signer']} clips without a signer); "
        f"clips per signer {_spread(signers['clips_per_signer'])}"
    )
    lines.append(f"length (frames)  {_spread(stats['length_frames'])}")
    lines.append(f"length (seconds) {_spread(stats['length_seconds'], '.2f')}")
    if stats["unreadable"]:
        shown = "; ".join(u["reason"] for u in stats["unreadable"][:5])
        more = len(stats["unreadable"]) - 5
        lines.append(
            f"unreadable pose files: {len(stats['unreadable'])} — {shown}"
            + (f" (+{more} more)" if more > 0 else "")
        )
    return lines


def _all_languages(stats: dict) -> dict:
    return {
        "clips": stats["clips"],
        "concepts": stats["concepts"]["count"],
        "missing_hands": stats["missing_hands"],
    }


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _spread(d: dict, fmt: str = ".1f") -> str:
    if not d.get("count"):
        return "(none)"
    keys = ("min", "median", "mean", "p95", "max")
    return " ".join(f"{k} {d[k]:{fmt}}" for k in keys)


def _signers(records: Sequence[ClipRecord]) -> dict:
    per_signer = Counter(r.signer for r in records if r.signer)
    per_split: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r.signer:
            per_split[r.split].add(r.signer)
    return {
        "count": len(per_signer),
        "clips_without_signer": sum(1 for r in records if not r.signer),
        "clips_per_signer": distribution(np.array(list(per_signer.values()), float)),
        "per_split": {split: len(s) for split, s in sorted(per_split.items())},
        "most_clips": per_signer.most_common(10),
    }


def _summarize(path: Path) -> tuple[ClipSummary | None, str]:
    try:
        return summarize_file(path), ""
    except PoseFileError as exc:
        return None, str(exc)


def _fingerprint(path: Path) -> str | None:
    try:
        stat = path.stat()
    except OSError:
        return None  # missing: read (and reported) every time
    text = f"{_SUMMARY_VERSION}:{path.absolute()}:{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _load_cache(cache_dir: Path | None) -> dict[str, ClipSummary]:
    if cache_dir is None:
        return {}
    try:
        raw = json.loads((cache_dir / CACHE_FILE).read_text())
        return {key: ClipSummary(**value) for key, value in raw.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}  # absent or damaged: the summaries are simply read again


def _save_cache(cache_dir: Path, cached: dict[str, ClipSummary]) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / CACHE_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({key: asdict(value) for key, value in cached.items()}))
    os.replace(tmp, path)
