"""The MediaPipe Holistic layout the generator writes: components, point names, slices, rate."""

from __future__ import annotations

from signclip.pose.components import BODY as BODY_NAME
from signclip.pose.components import BODY_POINTS, HAND_POINTS
from signclip.pose.components import FACE as FACE_NAME
from signclip.pose.components import LEFT_HAND as LEFT_HAND_NAME
from signclip.pose.components import RIGHT_HAND as RIGHT_HAND_NAME

FACE_POINTS = tuple(str(i) for i in range(468))
# (component name, point names), in MediaPipe Holistic's order: 33 + 468 + 21 + 21 = 543 points.
COMPONENTS = (
    (BODY_NAME, BODY_POINTS),
    (FACE_NAME, FACE_POINTS),
    (LEFT_HAND_NAME, HAND_POINTS),
    (RIGHT_HAND_NAME, HAND_POINTS),
)
BODY = slice(0, 33)
FACE = slice(33, 501)
LEFT_HAND = slice(501, 522)
RIGHT_HAND = slice(522, 543)
NUM_POINTS = 543
FPS = 25.0
