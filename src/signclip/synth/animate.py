"""A sign form and a signer to a clip: MediaPipe Holistic points [T, 543, 3] and confidences.

Points in signclip.synth.layout's order: POSE_LANDMARKS (33), FACE_LANDMARKS (468),
LEFT_HAND_LANDMARKS (21), RIGHT_HAND_LANDMARKS (21), as MediaPipe Holistic and pose-format do.

Coordinates as MediaPipe reports them: x, y in pixels of the signer's camera frame; z is relative
depth in units of the frame's width (MediaPipe's normalised z, not multiplied by the width as x
is), measured from the hips' midpoint for the body, from the face's centre for the face and from
the wrist for each hand (whose WRIST z is therefore 0), smaller = nearer the camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signclip.synth import detection, face, hand, skeleton, tracks
from signclip.synth.face import FaceMotion
from signclip.synth.geometry import euler_xyz, rotate
from signclip.synth.layout import BODY, FACE, FPS, LEFT_HAND, RIGHT_HAND
from signclip.synth.phonology import SignForm
from signclip.synth.signer import Signer

_CLIP_SPEED_STD = 0.08  # a signer's tempo also varies from clip to clip
_MOUTH = {"open": 0.1, "round": 0.0, "none": 0.0}
_BROWS = {"raised": 0.05, "lowered": -0.03, "neutral": 0.0}


@dataclass(frozen=True)
class Clip:
    xyz: np.ndarray  # [T, 543, 3] float32: pixels, pixels, MediaPipe-like z
    confidence: np.ndarray  # [T, 543] float32; 0 where not detected (then xyz is 0)
    width: int
    height: int
    fps: float = FPS


def animate(form: SignForm, signer: Signer, rng: np.random.Generator) -> Clip:
    """The clip of `signer` making `form`, with detection noise and dropped hands."""
    points = body_frame_points(form, signer, rng)
    xyz = to_camera(points, signer)
    xyz, confidence = detection.detect(points, xyz, signer, rng)
    return Clip(xyz, confidence, signer.camera.width, signer.camera.height)


def body_frame_points(form: SignForm, signer: Signer, rng: np.random.Generator) -> np.ndarray:
    """The clean 3D points [T, 543, 3] in the body frame (see skeleton), before the camera."""
    speed = signer.speed * float(np.exp(rng.normal(0.0, _CLIP_SPEED_STD)))
    timeline = tracks.make_timeline(form.movement, speed, rng)
    dominant, other = tracks.sign_tracks(form, signer, timeline, rng)
    # Sides: -1 right, +1 left. A left-handed signer makes the mirror image of the sign.
    if signer.left_handed:
        by_side = {1: dominant.mirrored(), -1: other.mirrored()}
    else:
        by_side = {-1: dominant, 1: other}
    elbows, hands = {}, {}
    for side, track in by_side.items():
        elbows[side], hands[side] = _arm(signer.body, side, track)
    motion = _face_motion(form, signer, timeline, rng)
    face_xyz, head_xyz = face.face_points(motion, signer.body.head, signer.face_shape)
    head = {name: head_xyz[:, i] for i, name in enumerate(face.HEAD_POINTS)}
    body = skeleton.body_points(signer.body, head, elbows, hands)
    points = np.concatenate([body, face_xyz, hands[1], hands[-1]], axis=1)
    return _sway(points, signer, rng)


def _arm(body: skeleton.Body, side: int, track: tracks.HandTrack) -> tuple[np.ndarray, np.ndarray]:
    """(elbow [T, 3], hand [T, 21, 3]): the hand placed so its contact point meets the target,
    the arm reaching its wrist (moved within the arm's range if the target is out of it)."""
    local = hand.hand_points(track.angles, body.hand, left=track.left)
    turned = rotate(track.rotation, local)
    contact = (track.contact[:, None] @ turned)[:, 0]
    elbow, wrist = skeleton.solve_arm(body, side, track.target - contact, skeleton.arm_pole(side))
    return elbow, wrist[:, None] + turned


def _face_motion(
    form: SignForm, signer: Signer, timeline: tracks.Timeline, rng: np.random.Generator
) -> FaceMotion:
    t = np.arange(len(timeline.w), dtype=np.float64)
    phases = rng.uniform(0, 2 * np.pi, 4)
    pitch_bias, roll_bias, _, _ = signer.posture
    w = timeline.w
    # Mouthing: the lips move a little while signing, whatever the sign's own mouth action.
    mouthing = 0.02 * np.abs(np.sin(2 * np.pi * t / 8 + phases[3])) * w
    return FaceMotion(
        pitch=pitch_bias + 0.03 * np.sin(2 * np.pi * t / 40 + phases[0]),
        yaw=0.04 * np.sin(2 * np.pi * t / 55 + phases[1]),
        roll=roll_bias + 0.02 * np.sin(2 * np.pi * t / 47 + phases[2]),
        mouth_open=_MOUTH[form.mouth] * w + mouthing,
        mouth_round=(0.8 if form.mouth == "round" else 0.0) * w,
        brows=_BROWS[form.brows] * w,
    )


def _sway(points: np.ndarray, signer: Signer, rng: np.random.Generator) -> np.ndarray:
    """The whole upper body leans, turns and sways a little about the hips."""
    t = np.arange(len(points), dtype=np.float64)
    phases = rng.uniform(0, 2 * np.pi, 2)
    roll = signer.posture[2] + 0.015 * np.sin(2 * np.pi * t / 60 + phases[0])
    yaw = signer.posture[3] + 0.03 * np.sin(2 * np.pi * t / 70 + phases[1])
    rotation = euler_xyz(np.zeros_like(t), yaw, roll)
    pivot = skeleton.hip_centre(signer.body)
    return pivot + rotate(rotation, points - pivot)


def to_camera(points: np.ndarray, signer: Signer) -> np.ndarray:
    """Body-frame points [T, 543, 3] to MediaPipe's units (see the module's docstring)."""
    camera = signer.camera
    out = np.empty_like(points)
    out[..., :2] = np.asarray(camera.origin) + points[..., :2] * camera.scale
    depth = points[..., 2] * (camera.scale / camera.width)
    hip = skeleton.hip_centre(signer.body)[2] * (camera.scale / camera.width)
    out[:, BODY, 2] = depth[:, BODY] - hip
    out[:, FACE, 2] = depth[:, FACE] - depth[:, FACE].mean(axis=1, keepdims=True)
    for part in (LEFT_HAND, RIGHT_HAND):
        out[:, part, 2] = depth[:, part] - depth[:, part.start, None]
    return out
