"""Frames of a video file as RGB uint8 arrays [H, W, 3], decoded with OpenCV.

OpenCV comes with mediapipe (the `[video]` extra), so decoding needs nothing more. Frames are
yielded one at a time: a long video never sits in memory as a whole.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signclip.video.errors import INSTALL_HINT, MissingExtraError, VideoError


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    width: int
    height: int


def load_cv2():
    try:
        import cv2
    except ImportError:
        raise MissingExtraError(f"opencv is not installed: {INSTALL_HINT}") from None
    return cv2


def probe(path: Path) -> VideoInfo:
    """Frame rate and frame size, or a `VideoError` saying why the file is not a usable video."""
    cv2 = load_cv2()
    capture = _open(cv2, path)
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok or frame is None:
        raise VideoError(f"{path}: zero frames (no frame could be decoded)", "empty-sequence")
    if not (math.isfinite(fps) and 0 < fps <= 1000):
        raise VideoError(f"{path}: no usable frame rate in the file ({fps:g} fps)")
    height, width = frame.shape[:2]
    return VideoInfo(fps=fps, width=int(width), height=int(height))


def read_frames(path: Path, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """RGB frames [H, W, 3] uint8 in order; at most `max_frames` when given."""
    cv2 = load_cv2()
    capture = _open(cv2, path)
    try:
        count = 0
        while max_frames is None or count < max_frames:
            ok, frame = capture.read()
            if not ok:
                return
            count += 1
            # OpenCV decodes to BGR; MediaPipe's models expect RGB.
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()


def _open(cv2, path: Path):
    if not path.is_file():
        what = "is a directory, not a video" if path.is_dir() else "no such file"
        raise VideoError(f"{path}: {what}", "missing-file")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise VideoError(f"{path}: cannot be opened as a video (unknown format or corrupt)")
    return capture
