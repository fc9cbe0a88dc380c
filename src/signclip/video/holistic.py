"""MediaPipe Holistic: one model per video, and one frame's landmarks as arrays.

Only mediapipe 0.10.21 with `model_complexity=1` runs offline: its models ship inside the wheel,
while other complexities and newer releases download model files at first use.

Points come in the order of `pose.convention.HOLISTIC_COMPONENTS` (body 33, face 468, left hand
21, right hand 21 = 543), the layout of pose-format's Holistic conversion without the world
landmarks, which is what the field's datasets ship (AUTSL's `.pose` files, for one). The face
stays at 468 points because the refined iris points need `refine_face_landmarks`, which the
shipped datasets did not use.
"""

from __future__ import annotations

import numpy as np

from signclip.pose.convention import HOLISTIC_COMPONENTS
from signclip.video.errors import INSTALL_HINT, MissingExtraError

MODEL_COMPLEXITY = 1
# (results attribute, number of points), in the stored component order.
_PARTS = (
    ("pose_landmarks", len(HOLISTIC_COMPONENTS[0][1])),
    ("face_landmarks", len(HOLISTIC_COMPONENTS[1][1])),
    ("left_hand_landmarks", len(HOLISTIC_COMPONENTS[2][1])),
    ("right_hand_landmarks", len(HOLISTIC_COMPONENTS[3][1])),
)
NUM_POINTS = sum(n for _, n in _PARTS)
NUM_BODY_POINTS = _PARTS[0][1]


def load_mediapipe():
    """The mediapipe module, or a one-line error saying how to install it."""
    try:
        import mediapipe
    except ImportError:
        raise MissingExtraError(f"mediapipe is not installed: {INSTALL_HINT}") from None
    if not hasattr(mediapipe, "solutions"):
        version = getattr(mediapipe, "__version__", "?")
        raise MissingExtraError(
            f"mediapipe {version} has no Holistic solution (0.10.21 is needed): {INSTALL_HINT}"
        )
    return mediapipe


def new_holistic(mediapipe):
    """A fresh tracker: each video gets its own, so no state leaks from one video to the next
    (and a video's pose is the same whichever worker, and in whichever order, processes it)."""
    return mediapipe.solutions.holistic.Holistic(
        static_image_mode=False,
        model_complexity=MODEL_COMPLEXITY,
        smooth_landmarks=True,
        refine_face_landmarks=False,
    )


def frame_landmarks(results) -> tuple[np.ndarray, np.ndarray]:
    """One frame's Holistic results -> (xyz [543, 3] float64, body visibility [33] float64).

    x and y are in [0, 1] of the frame, z is MediaPipe's relative depth; the points of a part
    that was not detected are NaN (their visibility 0).
    """
    xyz = np.full((NUM_POINTS, 3), np.nan)
    visibility = np.zeros(NUM_BODY_POINTS)
    start = 0
    for attribute, count in _PARTS:
        found = getattr(results, attribute, None)
        if found is not None:
            points = found.landmark
            if len(points) != count:
                raise ValueError(f"{attribute}: {len(points)} landmarks, {count} expected")
            xyz[start : start + count] = [(p.x, p.y, p.z) for p in points]
            if attribute == "pose_landmarks":
                visibility[:] = [p.visibility for p in points]
        start += count
    return xyz, visibility
