"""A hand as 21 MediaPipe points from joint angles, by forward kinematics; named handshapes.

Local frame of a right hand (a left hand is its mirror image, x negated): origin at the wrist,
x towards the thumb side, y along the fingers, z out of the palm; unit = hand length (wrist to
middle fingertip, fingers straight). Bone lengths are fixed fractions of it (rough adult anatomy:
wrist to knuckle about half the hand, then phalanges of about 0.24, 0.15 and 0.11 for the middle
finger, shorter for the others), so every clip keeps its bone lengths exactly.

Angles (radians), 21 per frame: for index, middle, ring, pinky in turn (flexion at MCP, PIP, DIP,
abduction); then the thumb (spread in the palm plane, tilt out of it, opposition, MCP flexion, IP
flexion). Flexion bends a finger towards the palm.
"""

from __future__ import annotations

import numpy as np

from signclip.synth.geometry import unit

NUM_ANGLES = 21
THUMB = 16  # first thumb angle
# Knuckle (MCP) positions in the palm plane and the fan of the fingers at rest (radians).
_MCP = np.array([[0.16, 0.46], [0.05, 0.50], [-0.06, 0.47], [-0.16, 0.41]])
_FAN = np.array([0.08, 0.0, -0.07, -0.16])
_PHALANGES = np.array(
    [[0.21, 0.13, 0.10], [0.24, 0.15, 0.11], [0.22, 0.14, 0.10], [0.17, 0.10, 0.09]]
)
# Thumb: base of the metacarpal (MediaPipe's THUMB_CMC), its rest direction, and bone lengths.
_THUMB_CMC = np.array([0.13, 0.14, 0.02])
_THUMB_REST_ANGLE = 0.6  # from the finger axis towards the thumb side
_THUMB_BONES = np.array([0.24, 0.17, 0.14])
# How much a handshape's spread opens each finger from the middle one.
_SPREAD_SHARE = np.array([1.0, 0.15, -0.7, -1.4])

# Finger states: flexion (MCP, PIP, DIP) in degrees.
FINGER_STATES = {
    "ext": (0, 0, 0),
    "curl": (85, 100, 65),  # into a fist
    "bent": (80, 5, 5),  # bent at the knuckle only
    "hook": (15, 85, 55),  # claw
    "round": (35, 45, 25),  # C
    "closed": (55, 65, 40),  # O: the tips meet the thumb
    "flat": (60, 15, 10),  # flat O
    "relaxed": (25, 30, 15),
}
# Thumb states: spread, palmar tilt, opposition (radians); MCP, IP flexion (degrees). Tuned so
# the tip lands where it does in the handshapes: over the curled fingers (S), on the index tip
# (O, F), along the palm (B), beside the index (A).
THUMB_STATES = {
    "side": (-0.35, 0.05, 0.2, 5, 5),
    "across": (0.1, 0.3, 0.0, 55, 45),
    "over": (0.0, 0.6, 0.3, 60, 60),
    "out": (0.5, 0.15, 0.1, 0, 5),
    "round": (0.25, 0.7, 0.8, 10, 15),
    "touch": (-0.1, 0.15, 1.2, 60, 35),
    "tuck": (-0.1, 0.5, 0.3, 60, 55),
    "relaxed": (0.1, 0.4, 0.6, 10, 15),
}
# name: (index, middle, ring, pinky states, thumb state, spread in radians, how common).
HANDSHAPES = {
    "B": ("ext", "ext", "ext", "ext", "across", 0.0, 10),
    "5": ("ext", "ext", "ext", "ext", "out", 0.22, 8),
    "1": ("ext", "curl", "curl", "curl", "tuck", 0.0, 9),
    "A": ("curl", "curl", "curl", "curl", "side", 0.0, 5),
    "S": ("curl", "curl", "curl", "curl", "over", 0.0, 6),
    "C": ("round", "round", "round", "round", "round", 0.05, 4),
    "O": ("closed", "closed", "closed", "closed", "touch", 0.0, 4),
    "flat-O": ("flat", "flat", "flat", "flat", "touch", 0.0, 4),
    "bent-B": ("bent", "bent", "bent", "bent", "side", 0.0, 4),
    "V": ("ext", "ext", "curl", "curl", "tuck", 0.2, 4),
    "U": ("ext", "ext", "curl", "curl", "tuck", 0.0, 2),
    "bent-V": ("hook", "hook", "curl", "curl", "tuck", 0.2, 2),
    "W": ("ext", "ext", "ext", "curl", "tuck", 0.18, 1),
    "3": ("ext", "ext", "curl", "curl", "out", 0.2, 2),
    "claw": ("hook", "hook", "hook", "hook", "out", 0.22, 3),
    "L": ("ext", "curl", "curl", "curl", "out", 0.0, 3),
    "Y": ("curl", "curl", "curl", "ext", "out", 0.0, 3),
    "I": ("curl", "curl", "curl", "ext", "tuck", 0.0, 2),
    "ILY": ("ext", "curl", "curl", "ext", "out", 0.1, 1),
    "horns": ("ext", "curl", "curl", "ext", "tuck", 0.1, 1),
    "X": ("hook", "curl", "curl", "curl", "tuck", 0.0, 2),
    "F": ("closed", "ext", "ext", "ext", "touch", 0.15, 2),
}
REST_SHAPE = "rest"
_REST = ("relaxed", "relaxed", "relaxed", "relaxed", "relaxed", 0.05, 0)


def shape_angles(name: str) -> np.ndarray:
    """The 21 angles [21] of a named handshape (or of the relaxed hand, REST_SHAPE)."""
    *fingers, thumb, spread, _ = _REST if name == REST_SHAPE else HANDSHAPES[name]
    angles = np.zeros(NUM_ANGLES)
    for f, state in enumerate(fingers):
        angles[4 * f : 4 * f + 3] = np.radians(FINGER_STATES[state])
        angles[4 * f + 3] = spread * _SPREAD_SHARE[f]
    t_spread, t_tilt, t_opposition, t_mcp, t_ip = THUMB_STATES[thumb]
    angles[THUMB:] = (t_spread, t_tilt, t_opposition, np.radians(t_mcp), np.radians(t_ip))
    return angles


def contact_weights(name: str, touching: bool) -> np.ndarray:
    """[21] weights of the points placed at a location: where the hand touches, the tips of the
    extended fingers (or the knuckles of a hand without one); in free space, the palm's centre."""
    *fingers, _, _, _ = HANDSHAPES[name]
    tips = [8 + 4 * f for f, state in enumerate(fingers) if state == "ext"]
    points = (tips or [5, 9, 13, 17]) if touching else [0, 5, 9, 13, 17]
    weights = np.zeros(21)
    weights[points] = 1.0 / len(points)
    return weights


def hand_points(angles: np.ndarray, length: float, left: bool = False) -> np.ndarray:
    """Local points [T, 21, 3] of hands with these angles [T, 21], `length` long."""
    frames = angles.shape[0]
    points = np.zeros((frames, 21, 3))
    for f in range(4):
        points[:, 5 + 4 * f : 9 + 4 * f] = _finger(angles[:, 4 * f : 4 * f + 4], f)
    points[:, 1:5] = _thumb(angles[:, THUMB:])
    points *= length
    if left:
        points[..., 0] *= -1
    return points


def _finger(angles: np.ndarray, f: int) -> np.ndarray:
    """MCP, PIP, DIP, TIP [T, 4, 3] of finger f: a planar chain in the plane of its direction
    (after abduction) and the palm normal."""
    spread = _FAN[f] + angles[:, 3]
    direction = np.stack([np.sin(spread), np.cos(spread), np.zeros_like(spread)], axis=1)
    normal = np.array([0.0, 0.0, 1.0])
    flex = np.cumsum(angles[:, :3], axis=1)  # [T, 3] absolute bend of each phalanx
    bones = np.cos(flex)[..., None] * direction[:, None] + np.sin(flex)[..., None] * normal
    steps = bones * _PHALANGES[f][None, :, None]
    mcp = np.append(_MCP[f], 0.0)
    return mcp + np.concatenate([np.zeros_like(steps[:, :1]), np.cumsum(steps, axis=1)], axis=1)


def _thumb(angles: np.ndarray) -> np.ndarray:
    """CMC, MCP, IP, TIP [T, 4, 3]: the metacarpal leaves the palm plane by the tilt; flexion bends
    the thumb in a plane turned from across the palm towards the palm's front by opposition."""
    spread, tilt, opposition, mcp, ip = angles.T
    theta = _THUMB_REST_ANGLE + spread
    in_plane = np.stack([np.sin(theta), np.cos(theta), np.zeros_like(theta)], axis=1)
    normal = np.array([0.0, 0.0, 1.0])
    ray = np.cos(tilt)[:, None] * in_plane + np.sin(tilt)[:, None] * normal
    across = np.stack([-np.cos(theta), np.sin(theta), np.zeros_like(theta)], axis=1)
    bend = np.cos(opposition)[:, None] * across + np.sin(opposition)[:, None] * normal
    bend = unit(bend - ray * np.sum(bend * ray, axis=1, keepdims=True))
    flex = np.stack([np.zeros_like(mcp), mcp, mcp + ip], axis=1)  # [T, 3]
    bones = np.cos(flex)[..., None] * ray[:, None] + np.sin(flex)[..., None] * bend[:, None]
    steps = bones * _THUMB_BONES[None, :, None]
    start = np.broadcast_to(_THUMB_CMC, steps[:, :1].shape)
    return np.concatenate([start, _THUMB_CMC + np.cumsum(steps, axis=1)], axis=1)


def bone_pairs() -> list[tuple[int, int]]:
    """The 20 (parent, child) point pairs of the hand skeleton, e.g. for bone lengths."""
    pairs = [(0, 1), (1, 2), (2, 3), (3, 4)]
    for f in range(4):
        base = 5 + 4 * f
        pairs += [(0, base), (base, base + 1), (base + 1, base + 2), (base + 2, base + 3)]
    return pairs
