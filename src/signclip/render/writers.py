"""Writing a rendered clip: an animated GIF (Pillow), an MP4 (imageio-ffmpeg, optional) or a PNG
contact sheet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pose_format import Pose

from signclip.errors import SignclipError
from signclip.render.canvas import FrameDrawer
from signclip.render.frames import (
    DEFAULT_WIDTH,
    check_options,
    clip_fps,
    frame_indices,
    load,
    render_grid,
    sheet_indices,
)
from signclip.render.skeleton import RGB

FORMATS = (".gif", ".mp4", ".png")
# GIF delays are whole hundredths of a second, and browsers play delays under 20 ms as 100 ms:
# faster clips are resampled to 50 fps rather than played five times too slowly.
GIF_MAX_FPS = 50.0
_MP4_HINT = "install imageio-ffmpeg (pip install 'signclip[video]') or write a .gif"


@dataclass(frozen=True)
class Rendered:
    path: Path
    frames: int  # pictures written (panels for a sheet)
    width: int
    height: int
    fps: float | None  # playback rate; None for a sheet


def render_to_file(
    pose: Pose | str | Path,
    path: str | Path,
    width: int = DEFAULT_WIDTH,
    fps: float | None = None,
    max_frames: int | None = None,
    sheet_frames: int = 8,
) -> Rendered:
    """Draw a clip (a Pose or a `.pose` path) into `path`, by its suffix: `.gif` (loops forever,
    at the clip's rate or `fps`), `.mp4` (needs imageio-ffmpeg) or `.png` (a contact sheet of
    `sheet_frames` evenly spaced frames, each `width` pixels wide)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        kind = repr(suffix) if suffix else "(no extension)"
        raise SignclipError(f"{path}: unknown output type {kind}; use .gif, .mp4 or .png")
    check_options(width, fps, max_frames)
    encoder = _ffmpeg(path) if suffix == ".mp4" else None  # refuse before the work, not after
    pose, name = load(pose)
    if suffix == ".png":
        label = "" if name == "<pose>" else Path(name).name
        title = f"{label}   signer's left hand blue, right hand red".strip()
        sheet = render_grid(pose, sheet_frames, 4, width, max_frames, title, name)
        _save(path, lambda: sheet.save(path))
        panels = len(sheet_indices(len(pose.body.data), sheet_frames, max_frames))
        return Rendered(path, panels, *sheet.size, None)
    drawer = FrameDrawer(pose, width, name)
    rate = fps or clip_fps(pose)
    if suffix == ".gif":
        rate = min(rate, GIF_MAX_FPS)
    indices = frame_indices(drawer.num_frames, clip_fps(pose), rate, max_frames)
    pictures = (drawer.draw(int(i)) for i in indices)
    if suffix == ".gif":
        _write_gif(path, pictures, len(indices), rate, drawer.skeleton.colours)
    else:
        _write_mp4(path, pictures, rate, encoder)
    return Rendered(path, len(indices), drawer.view.width, drawer.view.height, rate)


def _save(path: Path, write) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write()
    except OSError as exc:
        raise SignclipError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def gif_durations(count: int, fps: float) -> list[int]:
    """Per-frame delays in ms, whole hundredths of a second, whose running sum tracks i / fps: a
    25 fps clip gets 40 ms each, a 30 fps clip 30/40/30 ms, so neither drifts from real time."""
    ends = np.round(np.arange(1, count + 1) * 100 / fps).astype(np.int64)
    delays = np.diff(ends, prepend=0) * 10
    return [max(10, int(d)) for d in delays]


def _write_gif(
    path: Path, pictures: Iterable[Image.Image], count: int, fps: float, colours: Iterable[RGB]
) -> None:
    palette = _palette(colours)
    # One shared palette keeps colours steady from frame to frame and the file small; dithering
    # would speckle the white background.
    frames = [p.quantize(palette=palette, dither=Image.Dither.NONE) for p in pictures]
    durations = gif_durations(count, fps)

    def write() -> None:
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0)

    _save(path, write)


def _palette(colours: Iterable[RGB]) -> Image.Image:
    """White, each drawing colour blended into white at 16 strengths (the antialiased edges), and
    greys for where colours overlap."""
    entries: list[RGB] = [(255, 255, 255)]
    for colour in colours:
        for k in range(1, 17):
            entries.append(tuple(round(255 + (c - 255) * k / 16) for c in colour))
    entries = list(dict.fromkeys(entries))[:224]
    entries += [(g, g, g) for g in range(0, 256, 8)]
    flat = [v for rgb in entries[:256] for v in rgb]
    image = Image.new("P", (1, 1))
    image.putpalette(flat + [255] * (768 - len(flat)))
    return image


def _ffmpeg(path: Path):
    try:
        import imageio_ffmpeg
    except ImportError:
        raise SignclipError(f"{path}: writing .mp4 needs imageio-ffmpeg; {_MP4_HINT}") from None
    return imageio_ffmpeg


def _write_mp4(path: Path, pictures: Iterator[Image.Image], fps: float, ffmpeg) -> None:
    first = next(iter(pictures))
    # H.264 in yuv420p (the format players accept) needs even sides: pad with background.
    width, height = first.width + first.width % 2, first.height + first.height % 2

    def padded(picture: Image.Image) -> bytes:
        if picture.size != (width, height):
            canvas = Image.new("RGB", (width, height), (255, 255, 255))
            canvas.paste(picture, (0, 0))
            picture = canvas
        return picture.tobytes()

    def write() -> None:
        writer = ffmpeg.write_frames(
            str(path), (width, height), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
            macro_block_size=1, ffmpeg_log_level="error",
        )  # fmt: skip
        writer.send(None)
        try:
            writer.send(padded(first))
            for picture in pictures:
                writer.send(padded(picture))
        finally:
            writer.close()

    try:
        _save(path, write)
    except RuntimeError as exc:  # ffmpeg's own failures; OSErrors were reported by _save
        raise SignclipError(f"{path}: ffmpeg failed ({' '.join(str(exc).split())[:200]})") from exc
