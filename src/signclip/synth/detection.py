"""What a pose estimator makes of the clean clip: noise, visibilities, lost hands, frame edges.

As MediaPipe Holistic (and the real recordings in ../shared/data): body points carry a visibility
in (0, 1]; face and hand points have confidence 1 when their part is detected; a part that is
not detected in a frame is all zeros with confidence 0. Hands drop out in short bursts, more
often while resting low in the frame or moving fast. Anything outside the frame counts as not
detected, so every point with confidence > 0 lies inside the frame.
"""

from __future__ import annotations

import numpy as np

from signclip.pose.components import BODY_POINTS
from signclip.synth.layout import BODY, FACE, LEFT_HAND, NUM_POINTS, RIGHT_HAND
from signclip.synth.signer import Signer

# Noise of each part relative to the signer's noise level: face meshes are the steadiest, hands
# (small, fast, self-occluding) the least steady.
_NOISE_SHARE = {"body": 1.0, "face": 0.35, "hand": 1.5}
_DROP_LOW, _DROP_FAST = 3.0, 0.15  # extra chance to lose a hand: resting low, moving fast
_FAST = 0.12  # shoulder widths per frame
_LOW = 0.3  # shoulder widths above the hip line
_DROP_CONTINUES = 0.67  # a lost hand stays lost for about 3 frames


def _visibility_base() -> np.ndarray:
    base = np.full(len(BODY_POINTS), 0.85)  # wrists and the body's hand points
    for i, name in enumerate(BODY_POINTS):
        if i < 11:
            base[i] = 0.995
        elif "SHOULDER" in name:
            base[i] = 0.99
        elif "ELBOW" in name:
            base[i] = 0.93
        elif "HIP" in name:
            base[i] = 0.7
        elif any(part in name for part in ("KNEE", "ANKLE", "HEEL", "FOOT")):
            base[i] = 0.2
    return base


_VISIBILITY = _visibility_base()


def detect(
    body_points: np.ndarray, xyz: np.ndarray, signer: Signer, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(xyz float32 [T, 543, 3], confidence float32 [T, 543]) as the estimator reports them.

    `body_points` are the clean body-frame points (for the hands' height and speed), `xyz` the
    same in camera units.
    """
    frames = len(xyz)
    camera = signer.camera
    # float32 from here on: what is written, and half the memory traffic of the noise.
    noise = rng.standard_normal(xyz.shape, dtype=np.float32) * _noise_scale(signer)
    xyz = xyz.astype(np.float32) + noise
    for part in (LEFT_HAND, RIGHT_HAND):
        xyz[:, part.start, 2] = 0.0  # hand depth is measured from the wrist: its own is exactly 0
    confidence = np.ones(xyz.shape[:2], dtype=np.float32)
    jitter = rng.standard_normal((frames, len(BODY_POINTS)), dtype=np.float32) * 0.03
    confidence[:, BODY] = np.clip(_VISIBILITY + jitter, 0.001, 1.0)
    for part in (LEFT_HAND, RIGHT_HAND):
        lost = _lost_hand(body_points[:, part.start], signer, rng)
        confidence[lost, part] = 0.0
    inside = _inside(xyz, camera.width, camera.height)
    confidence[:, BODY] *= inside[:, BODY]
    for part in (FACE, LEFT_HAND, RIGHT_HAND):
        whole = inside[:, part].all(axis=1)  # a part cut by the frame edge is not detected
        confidence[:, part] *= whole[:, None]
    xyz[confidence == 0] = 0.0
    return xyz, confidence


def _noise_scale(signer: Signer) -> np.ndarray:
    """[543, 3] standard deviations: x, y in pixels; z in MediaPipe's units (width fractions)."""
    camera = signer.camera
    scale = np.empty((NUM_POINTS, 3), dtype=np.float32)
    for part, share in ((BODY, "body"), (FACE, "face"), (LEFT_HAND, "hand"), (RIGHT_HAND, "hand")):
        pixels = signer.noise * camera.scale * _NOISE_SHARE[share]
        scale[part] = (pixels, pixels, pixels / camera.width / 2)
    return scale


def _inside(xyz: np.ndarray, width: int, height: int) -> np.ndarray:
    x, y = xyz[..., 0], xyz[..., 1]
    return (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)


def _lost_hand(wrist: np.ndarray, signer: Signer, rng: np.random.Generator) -> np.ndarray:
    """[T] bool: frames where the hand with this clean wrist track [T, 3] is not detected."""
    speed = np.linalg.norm(np.diff(wrist, axis=0, prepend=wrist[:1]), axis=1)
    low = wrist[:, 1] > signer.body.torso - _LOW
    start = signer.drop_rate * (1 + _DROP_LOW * low) + _DROP_FAST * (speed > _FAST)
    draws = rng.random(len(wrist))
    lost = np.zeros(len(wrist), dtype=bool)
    for t in range(len(wrist)):
        previous = lost[t - 1] if t else False
        lost[t] = draws[t] < (_DROP_CONTINUES if previous else start[t])
    return lost
