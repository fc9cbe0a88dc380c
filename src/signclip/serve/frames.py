"""A clip as the web page draws it: 2-D points per frame in picture pixels, plus the bones.

The skeleton (which points to connect, in which colour) is `render.skeleton`'s, so the page draws
exactly what `signclip render` draws. Only the first person's drawn points travel; their indices
are renumbered 0..n-1 in the order of the `points` list.
"""

from __future__ import annotations

import json
import math

import numpy as np
from pose_format import Pose

from signclip.errors import PoseFileError
from signclip.render.canvas import make_view
from signclip.render.frames import clip_fps
from signclip.render.skeleton import build_skeleton

PICTURE_WIDTH = 240  # pixels; the page scales the picture to its canvas
MAX_FRAMES_SENT = 300  # longer clips are sent at a lower frame rate


def clip_drawing(pose: Pose, name: str, width: int = PICTURE_WIDTH) -> dict:
    """JSON-ready drawing of `pose`: size, fps, parts (bones and joints) and frames.

    `frames[t]` is a flat list x0, y0, x1, y1, ... of the drawn points in pixels of a picture
    `width` wide, with null for a point absent in that frame.
    """
    skeleton = build_skeleton(pose.header)
    if not skeleton.parts:
        raise PoseFileError(f"{name}: nothing to draw")
    view = make_view(pose, skeleton, width)
    stand_ins = [p.unless for p in skeleton.parts]
    used = np.unique(np.concatenate([skeleton.points, *stand_ins]))
    step = max(1, math.ceil(pose.body.data.shape[0] / MAX_FRAMES_SENT))
    data = pose.body.data[::step, 0][:, used]
    xy = np.asarray(np.ma.getdata(data)[..., :2], dtype=np.float64)
    present = np.asarray(pose.body.confidence[::step, 0][:, used]) > 0
    present &= np.isfinite(xy).all(axis=-1) & ~np.ma.getmaskarray(data)[..., :2].any(axis=-1)
    pixels = np.round((xy - [view.x0, view.y0]) * view.scale, 1)
    frames = [_flat_frame(pixels[t], present[t]) for t in range(len(pixels))]
    return {
        "width": view.width,
        "height": view.height,
        "fps": clip_fps(pose) / step,
        "parts": [_part_json(part, used, view.unit) for part in skeleton.parts],
        "frames": frames,
    }


def drawing_json(pose: Pose, name: str) -> bytes:
    return json.dumps(clip_drawing(pose, name), separators=(",", ":")).encode()


def _flat_frame(pixels: np.ndarray, present: np.ndarray) -> list[float | None]:
    flat: list[float | None] = pixels.reshape(-1).tolist()
    for k in np.flatnonzero(~present):
        flat[2 * k] = flat[2 * k + 1] = None
    return flat


def _part_json(part, used: np.ndarray, unit: float) -> dict:
    def renumber(indices: np.ndarray) -> list:
        return np.searchsorted(used, indices).tolist()

    return {
        "name": part.name,
        "colour": "#{:02x}{:02x}{:02x}".format(*part.colour),
        "line": round(part.line * unit, 2),
        "dot": round(part.dot * unit, 2),
        "bones": renumber(part.bones),
        "joints": renumber(part.joints),
        "unless": renumber(part.unless),
    }
