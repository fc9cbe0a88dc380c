"""Import WLASL (Word-Level American Sign Language): its index file plus one `.pose` per video.

SOURCE is the index file `WLASL_v0.3.json` (or the folder that holds it); `--poses DIR` holds the
`.pose` files made with `signclip pose` from the videos of WLASL's start kit (see `--poses-from`):

    WLASL/
      WLASL_v0.3.json
    poses/
      69241.pose
      65539.pose

The index is a JSON list with one entry per gloss; each instance is one video of that gloss:

    [{"gloss": "book",
      "instances": [{"video_id": "69241", "signer_id": 118, "split": "train",
                     "frame_start": 1, "frame_end": -1, "fps": 25, "bbox": [385, 37, 885, 720],
                     "url": "...", "source": "aslbrick", "variation_id": 0,
                     "instance_id": 0}, ...]}, ...]

Used fields: `gloss` (the clip's text, as written), `video_id` (the clip id), `split` (train /
val / test become train / dev / test), `signer_id` (the signer), `url` (whether the video is on
YouTube, and its YouTube id) and `frame_start`, `frame_end`: 1-based, inclusive numbers of the
downloaded video's frames (`frame_end` -1 = to the end). `fps`, `bbox`, `source`, `variation_id`
and `instance_id` are not used: the pose file carries its own frame rate and pixel coordinates.
Every clip is English glosses of American Sign Language (en, ase).

Which recording holds a clip, by `--poses-from` (the start kit downloads YouTube videos as
`raw_videos/<YouTube id>.mp4`, one per YouTube video, the id being the url's last 11 characters,
and the others as `raw_videos/<video_id>.mp4`; its `preprocess.py` then writes
`videos/<video_id>.mp4`, cutting the YouTube instances' frame ranges and copying the others):
- `videos` (the default): poses of `videos/`, `<video_id>.pose`. A YouTube instance's file is
  already its clip and is used whole; the others' range is cut out.
- `raw_videos`: poses of `raw_videos/`: `<YouTube id>.pose` for a YouTube instance (several
  instances share one), `<video_id>.pose` otherwise; every range is cut out.
- `whole`: `<video_id>.pose` files that each cover the instance's whole source video; every
  range is cut out.
A cut clip is written to `OUT/poses/<video_id>.pose`; a clip that is the whole recording names
the pose file itself. As the start kit's preprocessing does, a range that runs past the
recording's last frame ends there; one that starts past it is reported as `bad-frame-range`.

Problems reported (the clip is left out): `malformed-row` (an entry or instance with a missing or
wrong field, or under `raw_videos` a YouTube url without an id), `duplicate-id` (a video id seen
before; the first is kept), `missing-pose` (no pose file: expected for WLASL's many dead links),
`unreadable-file`, `empty-sequence`, `bad-frame-range`; frames with nothing detected are reported
as `empty-frames` or `nan-only-frames` (kept); see `clip_poses`.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signclip.data.formats.checks import file_safe
from signclip.data.formats.clip_poses import ClipJob, import_pose_clips, usable_records
from signclip.data.formats.report import ImportReport
from signclip.data.manifest import ClipRecord
from signclip.errors import ManifestError

LAYOUT = "wlasl"
HELP = "WLASL: WLASL_v0.3.json and one <video_id>.pose per video (--poses)"
INDEX_NAME = "WLASL_v0.3.json"
SPLITS = {"train": "train", "val": "dev", "test": "test"}
POSES_FROM = ("videos", "raw_videos", "whole")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


@dataclass(frozen=True)
class Instance:
    """One video of the index, checked."""

    video_id: str
    gloss: str
    split: str
    signer: str | None
    frame_start: int  # 1-based
    frame_end: int  # 1-based, inclusive; -1 = to the end
    url: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--poses", type=Path, required=True, help="folder of <video_id>.pose files")
    parser.add_argument(
        "--poses-from",
        choices=POSES_FROM,
        default="videos",
        help="what the pose files were made from: the start kit's videos/ (default; YouTube "
        "instances already cut), its raw_videos/ (YouTube ones named by YouTube id), or one "
        "whole source video per video id",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="processes reading pose files (0: all cores)"
    )


def import_dataset(
    source: Path, out: Path, args: argparse.Namespace, report: ImportReport
) -> list[ClipRecord]:
    index = _index_path(Path(source))
    instances, jobs = [], []
    for inst in read_index(index, report):
        try:
            stem, first, stop = source_clip(inst, args.poses_from)
        except ValueError as exc:
            report.add("malformed-row", inst.video_id, str(exc))
            continue
        instances.append(inst)
        target = out / "poses" / f"{inst.video_id}.pose"
        jobs.append(ClipJob(Path(args.poses) / f"{stem}.pose", target, inst.video_id, first, stop))
    progress = not getattr(args, "no_progress", False)
    paths = import_pose_clips(jobs, report, args.workers, progress, desc="wlasl")
    labels = ((inst.video_id, inst.gloss, inst.split, inst.signer) for inst in instances)
    return usable_records(labels, paths, "en", "ase")


def read_index(index: Path, report: ImportReport) -> list[Instance]:
    """Every usable instance of the index in file order; the others are reported."""
    entries = _load_json(index)
    instances: list[Instance] = []
    seen: dict[str, str] = {}
    for i, entry in enumerate(entries):
        where = f"{index.name} entry {i}"
        gloss = entry.get("gloss") if isinstance(entry, dict) else None
        if not isinstance(gloss, str) or not gloss.strip():
            report.add("malformed-row", where, "no gloss (a non-empty string)")
            continue
        items = entry.get("instances")
        if not isinstance(items, list):
            report.add("malformed-row", where, f"gloss {gloss!r}: 'instances' is not a list")
            continue
        for j, raw in enumerate(items):
            inst_where = f"{where} instance {j}"
            try:
                inst = _instance(raw, gloss.strip())
            except ValueError as exc:
                report.add("malformed-row", inst_where, f"gloss {gloss!r}: {exc}")
                continue
            if inst.video_id in seen:
                report.add(
                    "duplicate-id", inst.video_id, f"{inst_where}; first at {seen[inst.video_id]}"
                )
                continue
            seen[inst.video_id] = inst_where
            instances.append(inst)
    return instances


def source_clip(inst: Instance, poses_from: str) -> tuple[str, int, int | None]:
    """(pose file stem, first, stop): the clip is frames [first, stop) (0-based, stop None = to
    the end) of `<stem>.pose`; ValueError when a YouTube url holds no YouTube id."""
    youtube = "youtube" in inst.url or "youtu.be" in inst.url
    if poses_from == "videos" and youtube:
        return inst.video_id, 0, None
    first, stop = _frame_slice(inst)
    if poses_from == "raw_videos" and youtube:
        youtube_id = inst.url[-11:]
        if not _YOUTUBE_ID.match(youtube_id):
            raise ValueError(f"url {inst.url!r} does not end in a YouTube id")
        return youtube_id, first, stop
    return inst.video_id, first, stop


def _frame_slice(inst: Instance) -> tuple[int, int | None]:
    """The 1-based inclusive range as a 0-based [first, stop) slice; stop None = to the end."""
    return inst.frame_start - 1, None if inst.frame_end == -1 else inst.frame_end


def _index_path(source: Path) -> Path:
    return source / INDEX_NAME if source.is_dir() else source


def _load_json(index: Path) -> list[Any]:
    try:
        text = index.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"WLASL index {index}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"WLASL index {index}: cannot be read ({exc})") from None
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"WLASL index {index}: not valid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    if not isinstance(entries, list):
        raise ManifestError(
            f"WLASL index {index}: expected a list of glosses, got {type(entries).__name__}"
        )
    if not entries:
        raise ManifestError(f"WLASL index {index}: no glosses")
    return entries


def _instance(raw: Any, gloss: str) -> Instance:
    """The checked instance; ValueError names the first bad field."""
    if not isinstance(raw, dict):
        raise ValueError(f"an instance must be an object, got {type(raw).__name__}")
    video_id = _text(raw, "video_id")
    if not file_safe(video_id):
        raise ValueError(f"video_id {video_id!r} cannot name a file")
    split = _text(raw, "split")
    if split not in SPLITS:
        raise ValueError(f"video {video_id}: split {split!r} is not train, val or test")
    start = _integer(raw, "frame_start")
    end = _integer(raw, "frame_end")
    if start < 1:
        raise ValueError(f"video {video_id}: frame_start {start} (frames count from 1)")
    if end != -1 and end < start:
        raise ValueError(f"video {video_id}: frame_end {end} before frame_start {start}")
    signer = raw.get("signer_id")
    signer = None if signer is None else _text(raw, "signer_id")
    url = raw.get("url")
    url = url.strip() if isinstance(url, str) else ""
    return Instance(video_id, gloss, SPLITS[split], signer, start, end, url)


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    # Ids are strings in v0.3 but numbers in some copies; both name the same file.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{key} is {value!r}, not a string")
    value = str(value).strip()
    if not value:
        raise ValueError(f"{key} is empty")
    return value


def _integer(raw: dict[str, Any], key: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} is {value!r}, not an integer")
    return value
