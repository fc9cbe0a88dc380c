"""MediaPipe's 468 face points from a mean face: head turns, mouth and eyebrow movements.

The mean face is derived from real recordings by scripts/derive_face_template.py (generalised
Procrustes over every complete face of the raw MediaPipe files in ../shared/data) and stored as
`data/mean_signer.npz`: a derived mean rather than a procedural face, because the 468 points'
arrangement (where each contour point sits, how the other 340 fill the surface) is MediaPipe's own
convention that no simple construction reproduces. Face units: origin at the face's centroid,
x to the face's left (image right), y down, z away from the camera, face width (points 234 to
454) = 1. The same file gives the head's place and size on the body, the body's 11 head points
and the hips (used by signclip.synth.skeleton).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np

from signclip.pose.components import BODY_POINTS
from signclip.synth.geometry import euler_xyz, rotate

HEAD_POINTS = BODY_POINTS[:11]  # NOSE ... MOUTH_RIGHT
_HEAD_DEPTH = -0.1  # the face's centroid, in shoulder widths in front of the shoulder line
# Face-unit heights of the parts that move (template y): between the lips, the eyebrows.
_LIP_LINE, _LIP_RAMP = 0.238, 0.03
_BROW_LINE, _FOREHEAD = -0.30, -0.58


@dataclass(frozen=True)
class Template:
    face: np.ndarray  # [468, 3], face units
    head: np.ndarray  # [11, 3] body head points, face units
    centre: np.ndarray  # [3] the face centroid in the body frame (shoulder widths)
    width: float  # face width in shoulder widths
    hip_width: float  # shoulder widths between MediaPipe's hip points
    torso: float  # shoulder widths from the shoulders' midpoint down to the hips'


@functools.lru_cache(maxsize=1)
def template() -> Template:
    source = resources.files("signclip.synth").joinpath("data/mean_signer.npz")
    with source.open("rb") as f, np.load(f) as data:
        face = data["face"].astype(np.float64)
        head_xy = data["head_points"].astype(np.float64)
        centre = np.append(data["face_centre"].astype(np.float64), _HEAD_DEPTH)
        width, hip_width, torso = (float(data[k]) for k in ("face_width", "hip_width", "torso"))
    # The body's head points lie on the face surface: take the depth of the nearest mesh point.
    nearest = np.argmin(((head_xy[:, None] - face[None, :, :2]) ** 2).sum(-1), axis=1)
    depth = face[nearest, 2]
    # ... the same for both of a left/right pair (the mesh's sampling near the ears is uneven).
    for i, name in enumerate(HEAD_POINTS):
        if name.startswith("LEFT") or name.endswith("LEFT"):
            partner = HEAD_POINTS.index(name.replace("LEFT", "RIGHT"))
            depth[[i, partner]] = depth[[i, partner]].mean()
    head = np.column_stack([head_xy, depth])
    return Template(face, head, centre, width, hip_width, torso)


@dataclass(frozen=True)
class FaceMotion:
    """Per-frame face behaviour [T] each: head angles (radians), mouth and eyebrow actions."""

    pitch: np.ndarray
    yaw: np.ndarray
    roll: np.ndarray
    mouth_open: np.ndarray  # face units the jaw drops
    mouth_round: np.ndarray  # 0..1, lips pulled together
    brows: np.ndarray  # face units the eyebrows rise (negative: lowered)


def face_anchor(head_scale: float) -> tuple[np.ndarray, float]:
    """(centre [3], scale): where the face sits on the body and shoulder widths per face unit."""
    t = template()
    return t.centre, t.width * head_scale


def to_body(local: np.ndarray, head_scale: float) -> np.ndarray:
    """Face-unit points [..., 3] of the face at rest to the body frame."""
    centre, scale = face_anchor(head_scale)
    return centre + local * scale


def face_points(
    motion: FaceMotion, head_scale: float, shape: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(face [T, 468, 3], head [T, 11, 3]) in the body frame; `shape` [3] stretches the face
    per signer (x, y, z factors)."""
    t = template()
    face = _deform(t.face * shape, motion)
    head = np.broadcast_to(t.head * shape, (len(motion.pitch), *t.head.shape))
    rotation = euler_xyz(motion.pitch, motion.yaw, motion.roll)
    centre, scale = face_anchor(head_scale)

    def place(points: np.ndarray) -> np.ndarray:
        return centre + rotate(rotation, points) * scale

    return place(face), place(head)


def _deform(face: np.ndarray, motion: FaceMotion) -> np.ndarray:
    """[T, 468, 3]: the jaw drops below the lip line, lips round, eyebrows rise or fall."""
    x, y = face[:, 0], face[:, 1]
    jaw = np.clip((y - _LIP_LINE) / _LIP_RAMP, 0.0, 1.0)
    lips = np.exp(-(((y - _LIP_LINE) / 0.07) ** 2)) * (np.abs(x) < 0.3)
    brow = np.clip((_BROW_LINE - y) / 0.05, 0.0, 1.0) * np.clip((y - _FOREHEAD) / 0.08, 0.0, 1.0)
    out = np.repeat(face[None], len(motion.pitch), axis=0)
    out[..., 1] += motion.mouth_open[:, None] * jaw - motion.brows[:, None] * brow
    out[..., 0] -= 0.35 * motion.mouth_round[:, None] * lips * x
    return out
