"""Pictures of a clip: every frame at a chosen rate, or a contact sheet of evenly spaced frames."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pose_format import Pose

from signclip.errors import SignclipError
from signclip.pose.io import read_pose
from signclip.render.canvas import FrameDrawer

DEFAULT_WIDTH = 400
_FALLBACK_FPS = 25.0
_SHEET_GAP = 4
_SHEET_BORDER = (200, 200, 200)
_LABEL_COLOUR = (90, 90, 90)


def load(pose: Pose | str | Path) -> tuple[Pose, str]:
    """A Pose and the name its errors use; paths are read with `read_pose`."""
    if isinstance(pose, Pose):
        return pose, "<pose>"
    return read_pose(pose), str(pose)


def clip_fps(pose: Pose) -> float:
    """The clip's frame rate; a file without a usable one is taken as 25 fps."""
    fps = float(pose.body.fps or 0)
    return fps if math.isfinite(fps) and fps > 0 else _FALLBACK_FPS


def frame_indices(
    num_frames: int, source_fps: float, fps: float | None = None, max_frames: int | None = None
) -> np.ndarray:
    """Source frame shown at each output frame: at `fps`, output frame i shows the last source
    frame at or before time i / fps (None: every source frame). At most `max_frames` (the first)."""
    if fps is None or math.isclose(fps, source_fps):
        indices = np.arange(num_frames)
    else:
        count = max(1, round(num_frames * fps / source_fps))
        times = np.arange(count) / fps
        # The epsilon keeps exact multiples (2 output frames per source frame) on their frame.
        indices = np.minimum(np.floor(times * source_fps + 1e-9).astype(np.int64), num_frames - 1)
    return indices[:max_frames] if max_frames is not None else indices


def check_options(width: int, fps: float | None, max_frames: int | None) -> None:
    if not 16 <= width <= 8192:
        raise SignclipError(f"width {width}: use 16 to 8192 pixels")
    if fps is not None and not (math.isfinite(fps) and 0 < fps <= 1000):
        raise SignclipError(f"fps {fps}: use a positive frame rate (at most 1000)")
    if max_frames is not None and max_frames < 1:
        raise SignclipError(f"max frames {max_frames}: use at least 1")


def iter_frames(
    pose: Pose | str | Path,
    width: int = DEFAULT_WIDTH,
    fps: float | None = None,
    max_frames: int | None = None,
) -> Iterator[Image.Image]:
    """The pictures of `render_frames`, one at a time (a long clip need not fit in memory)."""
    check_options(width, fps, max_frames)
    pose, name = load(pose)
    drawer = FrameDrawer(pose, width, name)
    for frame in frame_indices(drawer.num_frames, clip_fps(pose), fps, max_frames):
        yield drawer.draw(int(frame))


def render_frames(
    pose: Pose | str | Path,
    width: int = DEFAULT_WIDTH,
    fps: float | None = None,
    max_frames: int | None = None,
) -> list[Image.Image]:
    """RGB pictures of a clip (a Pose or a `.pose` path), `width` pixels wide, in the aspect ratio
    of the header's video frame: every frame, or frames resampled to `fps`; at most `max_frames`."""
    return list(iter_frames(pose, width, fps, max_frames))


def render_grid(
    pose: Pose | str | Path,
    frames: int = 8,
    columns: int = 4,
    width: int = 240,
    max_frames: int | None = None,
    title: str | None = None,
    name: str | None = None,
) -> Image.Image:
    """A contact sheet: `frames` evenly spaced frames (first and last included), each `width`
    pixels wide, in rows of `columns`, labelled with their frame number and time. `name` is the
    clip named in errors (default: its path)."""
    check_options(width, None, max_frames)
    if frames < 1 or columns < 1:
        raise SignclipError(
            f"a sheet needs at least 1 frame and 1 column (got {frames}, {columns})"
        )
    pose, loaded_as = load(pose)
    drawer = FrameDrawer(pose, width, name or loaded_as)
    chosen = sheet_indices(drawer.num_frames, frames, max_frames)
    fps = clip_fps(pose)
    panels = [_labelled(drawer.draw(int(f)), f"#{f}  {f / fps:.2f} s") for f in chosen]
    return _sheet(panels, min(columns, len(panels)), title)


def sheet_indices(num_frames: int, frames: int, max_frames: int | None = None) -> np.ndarray:
    """`frames` evenly spaced frames of the first `max_frames`, the first and last included."""
    last = min(num_frames, max_frames or num_frames) - 1
    return np.unique(np.linspace(0, last, min(frames, last + 1)).round().astype(np.int64))


def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default()


def _labelled(panel: Image.Image, label: str) -> Image.Image:
    ImageDraw.Draw(panel).text((4, 3), label, fill=_LABEL_COLOUR, font=_font())
    return panel


def _sheet(panels: list[Image.Image], columns: int, title: str | None) -> Image.Image:
    w, h = panels[0].size
    rows = math.ceil(len(panels) / columns)
    top = 18 if title else 0
    gap = _SHEET_GAP
    sheet = Image.new(
        "RGB", (columns * (w + gap) + gap, top + rows * (h + gap) + gap), _SHEET_BORDER
    )
    if title:
        ImageDraw.Draw(sheet).text((gap, 3), title, fill=(0, 0, 0), font=_font())
    for i, panel in enumerate(panels):
        row, column = divmod(i, columns)
        sheet.paste(panel, (gap + column * (w + gap), top + gap + row * (h + gap)))
    return sheet
