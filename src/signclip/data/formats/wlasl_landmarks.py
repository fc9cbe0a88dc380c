"""WLASL's hand landmarks with its `nslt` splits: one MediaPipe Hands array per video.

SOURCE is the folder (as ../shared/data/wlasl300-hands), or its split file when it holds several:

    wlasl300-hands/
      landmarks/
        00414.npy
        ...
      nslt_300.json              exactly one nslt_*.json (nslt_100/300/1000/2000, or a filtered
      wlasl_class_list.txt       copy such as nslt_300.trainval.json)

- `landmarks/<video_id>.npy`: float [frames, 2, 21, 3], MediaPipe Hands: two hand slots in
  detection order (not sides), x and y in [0, 1] of the video frame, z MediaPipe's relative
  depth, an undetected hand -1 in all its values (NaN and all-zero points are missing too, see
  `landmark_arrays.mark_missing`);
- `nslt_*.json`: `{video_id: {"subset": "train" | "val" | "test", "action": [class index, start
  frame, end frame]}}`, the splits of WLASL's start kit (frames 1-based, inclusive; -1 = to the
  end);
- `wlasl_class_list.txt`: one `class index<TAB>gloss` line per class.

Each clip becomes `OUT/poses/<video_id>.pose` with `convention.hands_header` (LEFT_HAND_LANDMARKS
and RIGHT_HAND_LANDMARKS, MediaPipe's 21 point names each), its slots assigned to the signer's
sides by `handedness`; text = the gloss of its class index, languages en and ase, subsets train /
val / test become splits train / dev / test. No signer: the split files carry none.

Frames: `--arrays clips` (the default) uses each array whole; `--arrays videos` cuts the action's
range out of arrays of whole source videos (a range past the end ends there; one that starts
past it is `bad-frame-range`). The shared copy holds clips: its actions all start at frame 1 (but
one, at 2), and its arrays (19 to 195 frames) are never a whole source video. They differ from
their action's length because WLASL numbers frames as decoded at 25 fps (its README), while the
arrays hold every frame of the start kit's `videos/<video_id>.mp4`, already cut to the action by
its `preprocess.py`, at the video's own rate (ethanfarah/live-fingering's
`data-preprocessing.ipynb` ran MediaPipe Hands on each frame): 25 × array frames / action frames
is 23 to 26 for 672 clips and 27 to 30 for 1,663 (a line through those gives 1.196 × 25 = 29.9
fps), 8 elsewhere. Cutting the action out of them again would drop a sixth of a 30 fps clip.

`--fps` defaults to 25, WLASL's decoding rate (the arrays store none), true for its 25 fps videos
only; `--fps action` gives each clip 25 or 29.97, whichever is nearer to 25 × its frames / its
action's frames (25 when the action runs to the end). The rate matters where clips are resampled
(`pose.fps`) or drawn in real time.
`--frame-size` (default 1000x1000) cannot be right for all clips: WLASL's videos come in several
sizes and aspect ratios and the arrays do not say which, so every clip gets the same aspect
ratio, and a clip from a 16:9 video has its horizontal distances shrunk to 9/16 against its
vertical ones. Normalisation removes the scale but not that distortion.

Problems (the clip is left out unless said otherwise): `malformed-row` (a split entry without a
subset of train, val or test or without an action of three integers, a video id that cannot name
a file, a class-list line that is not an index and a gloss, or a class index listed twice: the
first is kept), `duplicate-id` (a video id twice in the split file: the first is kept),
`unknown-class` (a class index missing from the class list), and those of `landmark_arrays`:
`missing-file`, `unreadable-file`, `malformed-array`, `empty-sequence`, `bad-frame-range`,
`empty-frames` (kept).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from signclip.data.formats.checks import file_safe
from signclip.data.formats.landmark_arrays import (
    HANDS,
    ArrayJob,
    add_conversion_arguments,
    checked_fps,
    convert_arrays,
)
from signclip.data.formats.report import ImportReport
from signclip.data.formats.tables import open_table
from signclip.data.manifest import ClipRecord
from signclip.errors import ConfigError, ManifestError
from signclip.pose import convention

LAYOUT = "wlasl-landmarks"
HELP = "WLASL hand landmarks: landmarks/<video_id>.npy, nslt_*.json and wlasl_class_list.txt"
SPLIT_PATTERN = "nslt_*.json"
CLASS_LIST = "wlasl_class_list.txt"
LANDMARKS = "landmarks"
SPLITS = {"train": "train", "val": "dev", "test": "test"}
ARRAYS = ("clips", "videos")
# WLASL numbers frames as decoded at 25 fps (its README), whatever the video's own rate.
INDEX_FPS = 25.0
# The rates of its videos: where 25 x array frames / action frames gathers (see the docstring).
VIDEO_FPS = (25.0, 29.97)


@dataclass(frozen=True)
class SplitEntry:
    """One video of the split file, checked."""

    video_id: str
    split: str  # train, dev or test
    class_index: int
    first: int  # frames [first, stop) of the video, 0-based
    stop: int | None  # None: to the end


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--arrays",
        choices=ARRAYS,
        default="clips",
        help="what each array holds: the clip, used whole (default; so in the published "
        "landmarks), or the whole source video, cut to the split file's action frames",
    )
    parser.add_argument(
        "--fps",
        default=f"{INDEX_FPS:g}",
        help=f"frame rate of every clip (default {INDEX_FPS:g}, WLASL's decoding rate: the arrays "
        "store none), or 'action': each clip's own rate, 25 or 29.97, from its frames against "
        "its action's (with --arrays clips)",
    )
    add_conversion_arguments(parser)


def import_dataset(
    source: Path, out: Path, args: argparse.Namespace, report: ImportReport
) -> list[ClipRecord]:
    width, height = convention.parse_frame_size(args.frame_size)
    fps = _fps_option(args)
    split_file = find_split_file(Path(source))
    folder = split_file.parent
    glosses = read_class_list(folder / CLASS_LIST, report)
    records, jobs = [], []
    for entry in read_split_file(split_file, report):
        gloss = glosses.get(entry.class_index)
        if gloss is None:
            detail = f"class {entry.class_index} is not in {CLASS_LIST}"
            report.add("unknown-class", entry.video_id, detail)
            continue
        target = (out / "poses" / f"{entry.video_id}.pose").absolute()
        array = folder / LANDMARKS / f"{entry.video_id}.npy"
        cut = (entry.first, entry.stop) if args.arrays == "videos" else (0, None)
        rate = fps or clip_fps(array, entry)
        jobs.append(ArrayJob(entry.video_id, array, target, HANDS, width, height, rate, *cut))
        records.append(ClipRecord(entry.video_id, target, gloss, "en", "ase", entry.split))
    usable = convert_arrays(jobs, report, args.workers, not args.no_progress)
    return [r for r, ok in zip(records, usable, strict=True) if ok]


def _fps_option(args: argparse.Namespace) -> float | None:
    """The one frame rate of every clip, or None to take each clip's from its action."""
    if args.fps == "action":
        if args.arrays != "clips":
            raise ConfigError("--fps action needs --arrays clips: a whole video says no rate")
        return None
    try:
        return checked_fps(float(args.fps))
    except ValueError:
        raise ConfigError(f"--fps {args.fps!r}: a positive number or 'action'") from None


def clip_fps(array: Path, entry: SplitEntry) -> float:
    """The clip's rate: its frames against its action's frames at 25 fps, to the nearest of
    `VIDEO_FPS`; 25 when the action runs to the end or the array cannot be read (then its
    conversion reports why)."""
    if entry.stop is None:
        return INDEX_FPS
    try:
        frames = len(np.load(array, mmap_mode="r", allow_pickle=False))
    except (OSError, ValueError, TypeError, EOFError):
        return INDEX_FPS
    estimate = INDEX_FPS * frames / (entry.stop - entry.first)
    return min(VIDEO_FPS, key=lambda rate: abs(rate - estimate))


def find_split_file(source: Path) -> Path:
    """The split file: SOURCE itself, or the one `nslt_*.json` in the SOURCE folder."""
    if source.is_file():
        return source
    if not source.is_dir():
        raise ManifestError(f"WLASL landmarks {source}: no such folder")
    found = sorted(source.glob(SPLIT_PATTERN))
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise ManifestError(
            f"WLASL landmarks {source}: expected one {SPLIT_PATTERN} split file, found "
            f"{len(found)} ({names}); give the one to use as SOURCE"
        )
    return found[0]


def read_class_list(path: Path, report: ImportReport) -> dict[int, str]:
    """Class index -> gloss; lines that are not an index and a gloss are reported."""
    glosses: dict[int, str] = {}
    with open_table(path, "WLASL class list") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path.name} line {number}"
            parts = line.split(None, 1)
            if len(parts) != 2 or not parts[0].isdigit():
                report.add("malformed-row", where, f"{line.strip()!r} is not 'index<TAB>gloss'")
                continue
            index, gloss = int(parts[0]), parts[1].strip()
            if index in glosses:
                report.add("malformed-row", where, f"class {index} listed again (first kept)")
                continue
            glosses[index] = gloss
    if not glosses:
        raise ManifestError(f"WLASL class list {path}: no classes")
    return glosses


class _Pairs(list):
    """A JSON object as its (key, value) pairs, so that a repeated video id is seen."""


def read_split_file(path: Path, report: ImportReport) -> Iterator[SplitEntry]:
    """Every usable entry of the split file in file order; the others are reported."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_Pairs)
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"WLASL split file {path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"WLASL split file {path}: not valid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    if not isinstance(entries, _Pairs) or not entries:
        raise ManifestError(f"WLASL split file {path}: expected an object of video ids")
    seen: set[str] = set()
    for video_id, raw in entries:
        if video_id in seen:
            report.add("duplicate-id", video_id, f"{path.name} lists it again (first kept)")
            continue
        seen.add(video_id)
        try:
            yield _entry(video_id, raw)
        except ValueError as exc:
            report.add("malformed-row", f"{path.name} video {video_id!r}", str(exc))


def _entry(video_id: str, raw: Any) -> SplitEntry:
    """The checked entry; ValueError names the first bad field."""
    clip_id = video_id.strip()
    if not file_safe(clip_id):
        raise ValueError(f"video id {video_id!r} cannot name a file")
    if not isinstance(raw, _Pairs):
        raise ValueError(f"an entry must be an object, got {type(raw).__name__}")
    fields = dict(raw)
    subset = fields.get("subset")
    if subset not in SPLITS:
        raise ValueError(f"subset {subset!r} is not train, val or test")
    action = fields.get("action")
    if not (
        isinstance(action, list)
        and len(action) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) for v in action)
    ):
        raise ValueError(f"action {action!r} is not [class index, start frame, end frame]")
    index, start, end = action
    if start < 1 or (end != -1 and end < start):
        raise ValueError(f"action frames {start}-{end} (1-based, end -1 or not before start)")
    return SplitEntry(clip_id, SPLITS[subset], index, start - 1, None if end == -1 else end)
