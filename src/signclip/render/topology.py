"""What to connect when drawing a MediaPipe Holistic signer, written as chains of point names.

Every chain names points, never positions: a layout that lacks some of them (the 8-point body of a
178-point file, a hand-only file) simply loses the bones that touch them.
"""

from __future__ import annotations

Chain = tuple[str, ...]

# Torso as a loop: shoulder line, both flanks and the hip line.
TORSO: tuple[Chain, ...] = (
    ("LEFT_SHOULDER", "RIGHT_SHOULDER", "RIGHT_HIP", "LEFT_HIP", "LEFT_SHOULDER"),
)


def arm(side: str) -> tuple[Chain, ...]:
    return ((f"{side}_SHOULDER", f"{side}_ELBOW", f"{side}_WRIST"),)


def body_hand(side: str) -> tuple[Chain, ...]:
    """The body model's crude hand (a triangle and the thumb), for frames without hand points."""
    wrist = f"{side}_WRIST"
    return ((wrist, f"{side}_PINKY", f"{side}_INDEX", wrist), (wrist, f"{side}_THUMB"))


# The body model's head points, for frames without face points: brow line through the nose, mouth.
BODY_HEAD: tuple[Chain, ...] = (
    (
        "RIGHT_EAR", "RIGHT_EYE_OUTER", "RIGHT_EYE", "RIGHT_EYE_INNER", "NOSE",
        "LEFT_EYE_INNER", "LEFT_EYE", "LEFT_EYE_OUTER", "LEFT_EAR",
    ),
    ("MOUTH_RIGHT", "MOUTH_LEFT"),
)  # fmt: skip

_FINGERS = ("INDEX_FINGER", "MIDDLE_FINGER", "RING_FINGER", "PINKY")

# A hand: the thumb chain and each finger from the wrist, then the knuckle line across the palm.
HAND: tuple[Chain, ...] = (
    ("WRIST", "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP"),
    *(("WRIST", f"{f}_MCP", f"{f}_PIP", f"{f}_DIP", f"{f}_TIP") for f in _FINGERS),
    tuple(f"{f}_MCP" for f in _FINGERS),
)


def _mesh(*indices: int) -> Chain:
    return tuple(str(i) for i in indices)


# Face mesh contours, each traced in order around the feature (MediaPipe face-mesh indices; the
# 178-point layout names its face points by the same indices). Together they are exactly the 128
# points of `components.FACE_CONTOUR`.
FACE_OVAL: tuple[Chain, ...] = (
    _mesh(
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
        377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67,
        109, 10,
    ),
)  # fmt: skip
LIPS: tuple[Chain, ...] = (
    _mesh(61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291),  # outer, upper
    _mesh(61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291),  # outer, lower
    _mesh(78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308),  # inner, upper
    _mesh(78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308),  # inner, lower
)
EYES: tuple[Chain, ...] = (
    _mesh(33, 246, 161, 160, 159, 158, 157, 173, 133),  # signer's right eye, upper lid
    _mesh(33, 7, 163, 144, 145, 153, 154, 155, 133),  # signer's right eye, lower lid
    _mesh(263, 466, 388, 387, 386, 385, 384, 398, 362),  # signer's left eye, upper lid
    _mesh(263, 249, 390, 373, 374, 380, 381, 382, 362),  # signer's left eye, lower lid
)
BROWS: tuple[Chain, ...] = (
    _mesh(46, 53, 52, 65, 55),
    _mesh(70, 63, 105, 66, 107),
    _mesh(276, 283, 282, 295, 285),
    _mesh(300, 293, 334, 296, 336),
)
# Iris centres of the refined (478-point) mesh; drawn as dots when present.
IRIS_CENTRES: Chain = _mesh(468, 473)
