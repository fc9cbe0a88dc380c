"""Sanity of generated clips: layout, frame, attachment, bone lengths, drops, mirroring, face."""

import dataclasses

import numpy as np
import pytest

from signclip.config import PoseConfig
from signclip.pose.components import BODY_POINTS, FACE_CONTOUR
from signclip.pose.features import load_features
from signclip.pose.io import read_pose
from signclip.synth import animate, hand, writer
from signclip.synth import phonology as ph
from signclip.synth.dataset import signer as make_signer
from signclip.synth.layout import BODY, COMPONENTS, FACE, LEFT_HAND, RIGHT_HAND
from signclip.synth.writer import pose_bytes

FEATURES = {"reduced-face": 609, "sign-vq": 534, "dominant-hand": 63}
# MediaPipe's face-mesh contour groups (point indices), for the arrangement test.
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
             377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67,
             109)  # fmt: skip
LIPS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270,
        409, 78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311,
        310, 415)  # fmt: skip
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398)
RIGHT_BROW = (46, 53, 52, 65, 55, 70, 63, 105, 66, 107)
LEFT_BROW = (276, 283, 282, 295, 285, 300, 293, 334, 296, 336)
NOSE_TIP = 1
FORMS = [
    ph.SignForm(ph.HandForm("1", "chin", "up", "back"), ph.Movement("tap", "up", 0.3, 2), "one",
                None, "open", "raised"),
    ph.SignForm(ph.HandForm("B", "neutral", "up-forward", "contra", "S"),
                ph.Movement("circle", "frontal", 0.5, 1), "symmetric", None),
    ph.SignForm(ph.HandForm("V", "base", "forward", "down"),
                ph.Movement("zigzag", "contra", 0.3, 2), "base",
                ph.HandForm("B", "base", "contra", "up")),
    ph.SignForm(ph.HandForm("5", "neutral-side", "up", "forward"),
                ph.Movement("wiggle", "up", 0.15, 3), "alternating", None, "round", "lowered"),
]  # fmt: skip


def clip_arrays(path):
    pose = read_pose(path)
    xyz = np.asarray(np.ma.getdata(pose.body.data))[:, 0]
    confidence = np.asarray(pose.body.confidence)[:, 0]
    return pose, xyz, confidence


def test_the_dataset_is_small_and_complete(synth_dataset):
    folder, report = synth_dataset
    assert len(list(folder.rglob("*.pose"))) == report.clips == 5 * 3 * 3
    assert set(report.splits) == {"train", "dev", "test"}


def test_every_file_loads_in_holistic_layout_and_gives_every_presets_features(synth_dataset):
    folder, _ = synth_dataset
    for path in sorted(folder.rglob("*.pose")):
        pose = read_pose(path)
        layout = [(c.name, tuple(c.points), c.format) for c in pose.header.components]
        assert layout == [(name, points, "XYZC") for name, points in COMPONENTS]
        assert pose.body.fps == 25
        assert 20 < pose.body.data.shape[0] < 300
        for preset, width in FEATURES.items():
            features = load_features(path, PoseConfig(preset=preset))
            assert features.shape == (pose.body.data.shape[0], width)
            assert np.isfinite(features).all()


def test_detected_points_lie_inside_the_frame_and_missing_ones_are_zero(synth_dataset):
    folder, _ = synth_dataset
    for path in sorted(folder.rglob("*.pose")):
        pose, xyz, confidence = clip_arrays(path)
        width, height = pose.header.dimensions.width, pose.header.dimensions.height
        seen = confidence > 0
        assert (xyz[seen][:, 0] >= 0).all() and (xyz[seen][:, 0] <= width - 1).all()
        assert (xyz[seen][:, 1] >= 0).all() and (xyz[seen][:, 1] <= height - 1).all()
        assert (xyz[~seen] == 0).all()


def test_hands_drop_out_whole_with_confidence_zero_in_some_frames(synth_dataset):
    folder, _ = synth_dataset
    dropped = total = 0
    for path in sorted(folder.rglob("*.pose")):
        _, _, confidence = clip_arrays(path)
        for part in (LEFT_HAND, RIGHT_HAND):
            hand_conf = confidence[:, part]
            assert np.isin(hand_conf, (0.0, 1.0)).all()
            assert (hand_conf.min(axis=1) == hand_conf.max(axis=1)).all()  # all or nothing
            dropped += int((hand_conf[:, 0] == 0).sum())
            total += len(hand_conf)
    assert 0 < dropped < total


def test_hands_are_attached_to_the_body_wrists(synth_dataset):
    folder, _ = synth_dataset
    checked = 0
    for path in sorted(folder.rglob("*.pose")):
        _, xyz, confidence = clip_arrays(path)
        shoulders = xyz[
            :, [BODY_POINTS.index("LEFT_SHOULDER"), BODY_POINTS.index("RIGHT_SHOULDER")]
        ]
        width = np.linalg.norm(shoulders[:, 0, :2] - shoulders[:, 1, :2], axis=1).mean()
        for part, side in ((LEFT_HAND, "LEFT"), (RIGHT_HAND, "RIGHT")):
            body_wrist = BODY_POINTS.index(f"{side}_WRIST")
            both = (confidence[:, part.start] > 0) & (confidence[:, body_wrist] > 0)
            gap = np.linalg.norm(xyz[both, part.start, :2] - xyz[both, body_wrist, :2], axis=1)
            # Only detection noise separates them (at most ~0.01 shoulder widths per point).
            assert (gap < 0.06 * width).all()
            checked += int(both.sum())
    assert checked > 100


def test_bone_lengths_are_constant_within_a_clip():
    signer = dataclasses.replace(make_signer(0, 0), noise=0.0, drop_rate=0.0)
    checked = 0
    for i, form in enumerate(FORMS):
        clip = animate.animate(form, signer, np.random.default_rng(i))
        pose = read_pose(pose_bytes(writer.to_pose(clip)))
        xyz = np.asarray(np.ma.getdata(pose.body.data))[:, 0].astype(np.float64)
        seen = np.asarray(pose.body.confidence)[:, 0] > 0
        xyz[..., 2] *= clip.width  # MediaPipe z is in widths: back to pixels, as x is
        for part in (LEFT_HAND, RIGHT_HAND):
            frames = seen[:, part.start]
            checked += int(frames.sum())
            if not frames.any():
                continue  # this hand rested below the frame throughout
            for a, b in hand.bone_pairs():
                bone = xyz[frames, part.start + a] - xyz[frames, part.start + b]
                length = np.linalg.norm(bone, axis=1)
                assert np.ptp(length) < 1e-3 * length.max()
    assert checked > 50


def test_clean_arm_and_hand_bones_are_exactly_constant():
    signer = make_signer(0, 1)
    for i, form in enumerate(FORMS):
        points = animate.body_frame_points(form, signer, np.random.default_rng(i))
        arms = (("SHOULDER", "ELBOW"), ("ELBOW", "WRIST"))
        pairs = [
            (BODY.start + BODY_POINTS.index(f"{s}_{a}"), BODY.start + BODY_POINTS.index(f"{s}_{b}"))
            for s in ("LEFT", "RIGHT")
            for a, b in arms
        ]
        pairs += [
            (p.start + a, p.start + b)
            for p in (LEFT_HAND, RIGHT_HAND)
            for a, b in hand.bone_pairs()
        ]
        for a, b in pairs:
            length = np.linalg.norm(points[:, a] - points[:, b], axis=1)
            assert length.max() - length.min() < 1e-9


@pytest.mark.parametrize("form", FORMS[:1] + FORMS[3:], ids=["one-handed", "alternating"])
def test_left_handed_signers_mirror_the_sign(form):
    upright = np.zeros(4)  # a leaning, turned posture is the signer's own, not mirrored
    right = dataclasses.replace(make_signer(0, 2), left_handed=False, posture=upright)
    left = dataclasses.replace(right, left_handed=True)
    a = animate.body_frame_points(form, right, np.random.default_rng(5))
    b = animate.body_frame_points(form, left, np.random.default_rng(5))
    # The same draws: the left-handed signer's left hand does what the right hand did, mirrored
    # (up to the body's slight sway, which is not mirrored).
    mirrored = b[:, LEFT_HAND] * [-1, 1, 1]
    assert np.abs(mirrored - a[:, RIGHT_HAND]).max() < 0.12
    if form.two_handed == "one":
        moved = np.ptp(b[:, LEFT_HAND.start], axis=0).max()
        rested = np.ptp(b[:, RIGHT_HAND.start], axis=0).max()
        assert moved > 5 * rested


def test_face_contours_sit_where_mediapipe_puts_them():
    clip = animate.animate(FORMS[0], make_signer(0, 3), np.random.default_rng(0))
    assert set(FACE_OVAL + LIPS + RIGHT_EYE + LEFT_EYE + RIGHT_BROW + LEFT_BROW) == set(
        FACE_CONTOUR
    )
    detected = np.flatnonzero(clip.confidence[:, FACE.start] > 0)
    face = clip.xyz[detected[0], FACE, :2].astype(np.float64)

    def mean(group):
        return face[list(group)].mean(axis=0)

    assert mean(LIPS)[1] > face[NOSE_TIP, 1]  # y grows downwards
    assert mean(RIGHT_EYE)[0] < face[NOSE_TIP, 0] < mean(LEFT_EYE)[0]  # the signer faces us
    assert mean(RIGHT_BROW)[1] < mean(RIGHT_EYE)[1] and mean(LEFT_BROW)[1] < mean(LEFT_EYE)[1]
    assert mean(RIGHT_EYE)[1] < mean(LIPS)[1] < face[152, 1]  # lips between the eyes and chin
    inner = [i for i in range(468) if i not in FACE_OVAL]
    assert inside_polygon(face[inner], face[list(FACE_OVAL)]).mean() > 0.97


def inside_polygon(points: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Even-odd test against the ring sorted by angle around its centre (star-shaped, as the
    face oval is)."""
    centre = ring.mean(axis=0)
    ring = ring[np.argsort(np.arctan2(*(ring - centre).T[::-1]))]
    x, y = points[:, 0, None], points[:, 1, None]
    x1, y1 = ring[:, 0], ring[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    crosses = ((y1 > y) != (y2 > y)) & (x < (x2 - x1) * (y - y1) / (y2 - y1 + 1e-12) + x1)
    return crosses.sum(axis=1) % 2 == 1


@pytest.mark.parametrize("kind", list(ph.MOVEMENTS))
def test_every_movement_in_every_hand_arrangement_animates(kind):
    signer = dataclasses.replace(make_signer(0, 4), left_handed=False)
    for arrangement in ph.TWO_HANDED:
        base = ph.HandForm("B", "base", "contra", "up") if arrangement == "base" else None
        location = "base" if arrangement == "base" else "neutral"
        direction = "frontal" if kind == "circle" else "up"
        form = ph.SignForm(
            ph.HandForm("1", location, "up", "forward", "5"),
            ph.Movement(kind, direction, 0.3, 2),
            arrangement,
            base,
        )
        points = animate.body_frame_points(form, signer, np.random.default_rng(0))
        assert points.shape[1:] == (543, 3) and np.isfinite(points).all()
        dominant = points[:, RIGHT_HAND]
        assert np.ptp(dominant[:, 0], axis=0).max() > 0.3  # it leaves rest and comes back
