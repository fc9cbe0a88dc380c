"""A sign form in time: per hand, where its contact point is, how it is turned, its joint angles.

Every track is computed for a right hand of a right-handed signer and mirrored (x negated, the
hand model's chirality swapped) for a left hand: the non-dominant hand of any signer, and the
dominant hand of a left-handed one.

A clip's timeline: rest (hands down), approach, a short hold, the movement (its repetitions), a
short hold, retraction, rest. `w` [T] blends each hand from its rest state (0) into the sign (1);
`u` [T] is the movement's progress, 0 to the number of repetitions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from signclip.synth import face, hand, phonology
from signclip.synth.geometry import axis_rotation, ease, hand_frame, slerp, triangle, unit
from signclip.synth.phonology import DIRECTIONS, LOCATIONS, PLANES, Movement, SignForm
from signclip.synth.signer import Signer

# Frames (at 25 fps, before the signer's speed) of each phase of a clip.
_APPROACH, _HOLD_START, _HOLD_END, _RETRACT = 9, 3, 4, 10
_REST_FRAMES = (8, 25)  # each side, drawn per clip (clips average ~90 frames, as Spreadthesign's)
# Frames of one repetition: a constant plus a share that grows with the path's size.
_REPETITION = {
    "hold": (12, 0),
    "straight": (9, 14),
    "arc": (11, 14),
    "circle": (14, 18),
    "zigzag": (16, 10),
    "tap": (7, 4),
    "wiggle": (14, 0),
    "twist": (11, 0),
    "shake": (10, 4),
}
_TAP_LIFT = unit(np.array([0.0, 0.6, -0.8]))  # away from a contact, visibly down in the image
_MIDLINE_GAP = 0.2  # two hands mirrored from a midline location keep this far from it
_PALM_REST_OFFSET = 0.1  # the dominant hand's contact rests this far off the base hand's palm
_CLIP_JITTER = (0.04, 0.12, np.radians(3.0))  # per clip: location (SW), turn (rad), angles (rad)


@dataclass(frozen=True)
class Timeline:
    w: np.ndarray  # [T] rest (0) to sign (1)
    u: np.ndarray  # [T] movement progress, 0 .. repeats


@dataclass(frozen=True)
class HandTrack:
    target: np.ndarray  # [T, 3] the contact point's place, body frame
    rotation: np.ndarray  # [T, 3, 3] hand frame (geometry.hand_frame convention)
    angles: np.ndarray  # [T, 21]
    contact: np.ndarray  # [T, 21] weights of the points that make the contact point
    left: bool  # hand model chirality

    def mirrored(self) -> HandTrack:
        flip = np.array([-1.0, 1.0, 1.0])
        rotation = flip[:, None] * self.rotation * flip  # M R diag(-1, 1, 1): still proper
        return dataclasses.replace(
            self, target=self.target * flip, rotation=rotation, left=not self.left
        )


def make_timeline(movement: Movement, speed: float, rng: np.random.Generator) -> Timeline:
    def frames(n: float) -> int:
        return max(1, round(n / speed))

    base, per_size = _REPETITION[movement.kind]
    moving = frames(movement.repeats * (base + per_size * movement.size / 0.3))
    lengths = [
        int(rng.integers(*_REST_FRAMES)),
        frames(_APPROACH),
        frames(_HOLD_START),
        moving,
        frames(_HOLD_END),
        frames(_RETRACT),
        int(rng.integers(*_REST_FRAMES)),
    ]
    starts = np.cumsum([0, *lengths])
    t = np.arange(starts[-1], dtype=np.float64)
    w = ease((t - starts[1] + 1) / (lengths[1] + 1)) - ease((t - starts[5] + 1) / (lengths[5] + 1))
    u = np.clip((t - starts[3] + 0.5) / moving, 0.0, 1.0) * movement.repeats
    return Timeline(w=w, u=u)


def sign_tracks(
    form: SignForm, signer: Signer, timeline: Timeline, rng: np.random.Generator
) -> tuple[HandTrack, HandTrack]:
    """(dominant, non-dominant) tracks of a right-handed signer: right hand, left hand."""
    frames = len(timeline.w)
    amplitude = form.movement.size * signer.amplitude
    if form.two_handed == "base":
        base = _static_hand(form.base, _base_place(), signer, frames, rng)
        palm = _palm_point(base, signer)
        dominant = _sign_hand(form, signer, timeline, palm, amplitude, 0.0, rng)
        other = _blend(_rest(signer, frames), base, timeline.w).mirrored()
    else:
        place = _location(form.dominant.location, signer)
        if form.two_handed != "one" and abs(place[0]) < _MIDLINE_GAP:
            place[0] = -_MIDLINE_GAP  # two hands mirrored about the midline must not overlap
        dominant = _sign_hand(form, signer, timeline, place, amplitude, 0.0, rng)
        if form.two_handed == "one":
            other = _rest(signer, frames).mirrored()
        else:
            phase = 0.5 if form.two_handed == "alternating" else 0.0
            other = _sign_hand(form, signer, timeline, place, amplitude, phase, rng).mirrored()
    return dominant, other


def _location(name: str, signer: Signer) -> np.ndarray:
    anchor, offset, _ = LOCATIONS[name]
    if anchor == "face":
        return face.to_body(np.array(offset), signer.body.head)
    return np.array(offset, dtype=np.float64)


def _base_place() -> np.ndarray:
    # The base hand is the non-dominant one: its place is mirrored into a right hand's side.
    return np.array(phonology.BASE_HAND_PLACE) * [-1.0, 1.0, 1.0]


def _palm_point(base: HandTrack, signer: Signer) -> np.ndarray:
    """The point [T, 3] just off the base hand's palm where the dominant hand acts, in the
    non-dominant hand's real (mirrored) place."""
    mirrored = base.mirrored()
    local = hand.hand_points(mirrored.angles[:1], signer.body.hand, left=True)[0]
    palm_centre = local[[0, 5, 9, 13, 17]].mean(axis=0)
    contact = (local * mirrored.contact[0, :, None]).sum(axis=0)
    rotation = mirrored.rotation
    wrist = mirrored.target - rotation @ contact
    normal = rotation[:, :, 2]
    return wrist + rotation @ palm_centre + normal * _PALM_REST_OFFSET


def _sign_hand(
    form: SignForm,
    signer: Signer,
    timeline: Timeline,
    place: np.ndarray,
    amplitude: float,
    phase: float,
    rng: np.random.Generator,
) -> HandTrack:
    """The dominant hand's track (or, with `phase`, the other hand's in a two-handed sign)."""
    spec, movement = form.dominant, form.movement
    cycles = movement.repeats > 1 or movement.kind in ("circle", "shake")
    u = timeline.u + (phase if cycles else 0.0)  # an alternating hand runs half a cycle behind
    frames = len(u)
    jitter_place, jitter_turn, jitter_angle = _CLIP_JITTER
    touching = spec.location == phonology.BASE_LOCATION or LOCATIONS[spec.location][0] != "space"
    place = place + rng.normal(0.0, jitter_place, 3)
    if not touching:
        place = place + signer.place_bias  # a signer's own signing space; contacts stay put
    target = place + _path(movement, u, amplitude)
    turn = axis_rotation(unit(rng.normal(size=3)), rng.normal(0.0, jitter_turn))
    frame = turn @ hand_frame(np.array(DIRECTIONS[spec.fingers]), np.array(DIRECTIONS[spec.palm]))
    rotation = frame @ _twist(movement, u)
    angles = _angles(spec, movement, u, signer) + rng.normal(0.0, jitter_angle, hand.NUM_ANGLES)
    contact = np.broadcast_to(hand.contact_weights(spec.handshape, touching), (frames, 21))
    sign = HandTrack(target, rotation, angles, contact, left=False)
    return _blend(_rest(signer, frames), sign, timeline.w)


def _static_hand(
    spec: phonology.HandForm, place: np.ndarray, signer: Signer, frames: int, rng
) -> HandTrack:
    place = place + rng.normal(0.0, _CLIP_JITTER[0], 3)
    fingers, palm = (np.array(DIRECTIONS[spec.fingers]), np.array(DIRECTIONS[spec.palm]))
    rotation = np.broadcast_to(hand_frame(fingers, palm), (frames, 3, 3))
    angles = np.broadcast_to(hand.shape_angles(spec.handshape) + signer.hand_bias, (frames, 21))
    contact = np.broadcast_to(hand.contact_weights(spec.handshape, False), (frames, 21))
    return HandTrack(np.broadcast_to(place, (frames, 3)), rotation, angles, contact, left=False)


def _rest(signer: Signer, frames: int) -> HandTrack:
    """A right hand hanging in front of the thigh, fingers down, palm towards the body's midline;
    the contact point is the wrist itself."""
    wrist = np.array([-0.5, signer.body.torso - 0.05, -0.15])
    rotation = hand_frame(np.array(DIRECTIONS["down"]), np.array(DIRECTIONS["contra"]))
    angles = hand.shape_angles(hand.REST_SHAPE) + signer.hand_bias
    contact = np.zeros(21)
    contact[0] = 1.0
    return HandTrack(
        np.broadcast_to(wrist, (frames, 3)),
        np.broadcast_to(rotation, (frames, 3, 3)),
        np.broadcast_to(angles, (frames, 21)),
        np.broadcast_to(contact, (frames, 21)),
        left=False,
    )


def _blend(rest: HandTrack, sign: HandTrack, w: np.ndarray) -> HandTrack:
    k = w[:, None]
    return HandTrack(
        target=rest.target + (sign.target - rest.target) * k,
        rotation=slerp(rest.rotation, sign.rotation, w),
        angles=rest.angles + (sign.angles - rest.angles) * k,
        contact=rest.contact + (sign.contact - rest.contact) * k,
        left=sign.left,
    )


def _path(movement: Movement, u: np.ndarray, size: float) -> np.ndarray:
    """Offsets [T, 3] of the contact point from its location along the movement."""
    kind, reps = movement.kind, movement.repeats
    sweep = ease(u) if reps == 1 else triangle(u)  # once, or out and back per repetition
    if kind == "circle":
        a, b = (np.array(DIRECTIONS[axis]) for axis in PLANES[movement.direction])
        angle = 2 * np.pi * u[:, None]  # around the location, starting above it
        return size / 2 * (a * np.sin(angle) - b * np.cos(angle))
    if kind == "tap":
        return _TAP_LIFT * size * 0.5 * np.sin(np.pi * u[:, None]) ** 2
    if kind == "shake":
        return np.array(DIRECTIONS["contra"]) * size * 0.4 * np.sin(4 * np.pi * u[:, None])
    if kind in ("hold", "wiggle", "twist"):
        return np.zeros((len(u), 3))
    direction = np.array(DIRECTIONS[movement.direction])
    across = np.array(DIRECTIONS["up" if abs(direction[1]) < 0.5 else "contra"])
    if kind == "zigzag":
        progress = ease(u / reps)[:, None]
        return size * (direction * progress + across * 0.25 * np.sin(4 * np.pi * u[:, None]))
    bulge = 0.35 * np.sin(np.pi * sweep) if kind == "arc" else np.zeros_like(sweep)
    return size * (direction * sweep[:, None] + across * bulge[:, None])


def _twist(movement: Movement, u: np.ndarray) -> np.ndarray:
    """[T, 3, 3] rotation about the fingers' axis (the hand's local y) for twisting signs."""
    if movement.kind != "twist":
        return np.broadcast_to(np.eye(3), (len(u), 3, 3))
    angle = (0.5 + movement.size) * np.sin(np.pi * u) ** 2
    return axis_rotation(np.array([0.0, 1.0, 0.0]), angle)


def _angles(
    spec: phonology.HandForm, movement: Movement, u: np.ndarray, signer: Signer
) -> np.ndarray:
    """Joint angles [T, 21]: the handshape, changing to the end shape over the movement (once,
    or closing and opening per repetition), with wiggling fingers for wiggles."""
    start = hand.shape_angles(spec.handshape)
    angles = np.broadcast_to(start, (len(u), hand.NUM_ANGLES)).copy()
    if spec.end_handshape is not None:
        change = ease(u) if movement.repeats == 1 else triangle(u)
        angles += np.outer(change, hand.shape_angles(spec.end_handshape) - start)
    if movement.kind == "wiggle":
        for f in range(4):
            angles[:, 4 * f] += 0.35 * np.sin(2 * np.pi * (2 * u + 0.25 * f))
    return angles + signer.hand_bias
