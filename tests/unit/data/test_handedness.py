import json

import numpy as np
import pytest

from signclip.data.formats.handedness import (
    LEFT,
    RIGHT,
    assign_hands,
    hand_positions,
    hand_sides,
    without_duplicates,
)

# Every 8th clip of the shared WLASL300 hands (293 of 2,343): enough for stable rates, fast.
SAMPLE_STEP = 8


def hand(wrist_x, wrist_y, spread=0.06, seed=0):
    """21 points [21, 3]: a wrist and fingers fanned upwards, a fixed shape per seed."""
    rng = np.random.default_rng(seed)
    offsets = rng.uniform(-spread, spread, (21, 3))
    offsets[:, 1] = -np.abs(offsets[:, 1]) - spread / 2  # fingers above the wrist
    offsets[0] = 0
    return np.array([wrist_x, wrist_y, 0.0]) + offsets


def synthetic_clip():
    """Two hands (right at smaller x) over 60 frames, the slot order shuffled, with a stretch of
    each hand alone, a stretch of hands stacked at one x, an empty frame and a duplicate.
    Returns (slots [T, 2, 21, 3] with NaN, truth [T, 2] sides per slot, -1 empty)."""
    rng = np.random.default_rng(7)
    frames = 60
    slots = np.full((frames, 2, 21, 3), np.nan)
    truth = np.full((frames, 2), -1)
    for t in range(frames):
        wobble = 0.01 * np.sin(t / 3)
        right = hand(0.35 + wobble, 0.55, seed=1)
        left = hand(0.65 - wobble, 0.6, seed=2)
        if 30 <= t < 38:  # the right hand crosses above the left, to a larger x
            step = (t - 30) / 8
            right = hand(0.35 + 0.4 * step, 0.55 - 0.2 * step, seed=1)
            left = hand(0.65, 0.75, seed=2)
        present = [(RIGHT, right), (LEFT, left)]
        if 10 <= t < 18:
            present = [(RIGHT, right)]  # the left hand drops out of the picture
        elif 20 <= t < 26:
            present = [(LEFT, left)]
        elif t == 45:
            present = []
        order = rng.permutation(len(present))
        for slot, k in enumerate(order):
            truth[t, slot], slots[t, slot] = present[k]
    slots[50, 1] = slots[50, 0] + 0.005  # the same hand reported twice
    truth[50, 1] = -1
    return slots, truth


def test_synthetic_slots_get_their_true_sides():
    slots, truth = synthetic_clip()
    sides = hand_sides(without_duplicates(slots))
    np.testing.assert_array_equal(sides, truth)
    hands = assign_hands(slots)
    for t, slot in zip(*np.nonzero(truth >= 0), strict=True):
        np.testing.assert_array_equal(hands[t, truth[t, slot]], slots[t, slot])
    assert np.isnan(hands[45]).all() and np.isnan(hands[10:18, LEFT]).all()


def test_a_clip_that_never_shows_two_hands_starts_on_the_right():
    slots = np.full((5, 2, 21, 3), np.nan)
    slots[1:4, 0] = hand(0.7, 0.5)  # even at large x: one hand is taken as the signing one
    assert hand_sides(slots).tolist() == [[-1, -1], [RIGHT, -1], [RIGHT, -1], [RIGHT, -1], [-1, -1]]
    assert (hand_sides(np.full((3, 2, 21, 3), np.nan)) == -1).all()


def test_a_hand_without_its_wrist_is_placed_by_its_other_points():
    slots = np.stack([hand(0.3, 0.5), hand(0.7, 0.5)])[None].copy()
    slots[0, 0, 0] = np.nan
    assert hand_positions(slots)[0, 0, 0] == pytest.approx(np.nanmean(slots[0, 0, :, 0]))
    assert hand_sides(slots).tolist() == [[RIGHT, LEFT]]


@pytest.fixture(scope="module")
def wlasl_sides(shared_data):
    root = shared_data / "wlasl300-hands"
    if not root.is_dir():
        pytest.skip(f"WLASL300 hand landmarks not found at {root}")
    ids = sorted(json.loads((root / "nslt_300.trainval.json").read_text()))[::SAMPLE_STEP]
    clips = []
    for video_id in ids:
        slots = np.load(root / "landmarks" / f"{video_id}.npy").astype(np.float64)
        slots[(slots == -1).all(axis=-1)] = np.nan
        slots = without_duplicates(slots)
        clips.append((hand_positions(slots), hand_sides(slots)))
    return clips


def test_wlasl_right_hand_is_at_smaller_x_when_both_are_seen(wlasl_sides):
    right_first = []
    for place, sides in wlasl_sides:
        for t in np.flatnonzero((sides >= 0).all(axis=1)):
            right = int(np.flatnonzero(sides[t] == RIGHT)[0])
            right_first.append(place[t, right, 0] < place[t, 1 - right, 0])
    # Measured 97.4 % here, 97.7 % on all clips; the rest are stacked or crossing hands, left to
    # continuity.
    assert len(right_first) > 5000 and np.mean(right_first) >= 0.96


def test_wlasl_a_lone_hand_keeps_its_side_while_the_other_comes_and_goes(wlasl_sides):
    kept = []
    for place, sides in wlasl_sides:
        counts = (sides >= 0).sum(axis=1)
        # Consecutive frames with one hand and with two, in either order.
        for t in np.flatnonzero(counts[:-1] + counts[1:] == 3):
            lone, both = (t, t + 1) if counts[t] == 1 else (t + 1, t)
            slot = int(np.flatnonzero(sides[lone] >= 0)[0])
            nearest = np.argmin(np.linalg.norm(place[both] - place[lone, slot], axis=-1))
            kept.append(sides[lone, slot] == sides[both, nearest])
    # Measured 98.7 % here, 98.4 % on all clips.
    assert len(kept) > 500 and np.mean(kept) >= 0.97


def travel(place, sides, side):
    """How far one side's hand moves over the clip, across the frames that show it."""
    track = np.full((len(sides), 2), np.nan)
    frames, slots = np.nonzero(sides == side)
    track[frames] = place[frames, slots]
    return np.nansum(np.linalg.norm(np.diff(track, axis=0), axis=-1))


def test_wlasl_signing_hand_is_mostly_the_right_one(wlasl_sides):
    seen_more, further, higher = [], [], []
    for place, sides in wlasl_sides:
        right, left = (sides == RIGHT).sum(), (sides == LEFT).sum()
        seen_more.append(right > left)
        if right and left:
            further.append(travel(place, sides, RIGHT) > travel(place, sides, LEFT))
            top = [np.nanmin(place[..., 1][sides == side]) for side in (RIGHT, LEFT)]
            higher.append(top[0] < top[1])
    # Measured here (all clips): the right hand is seen in more frames in 62 % (62 %) of clips;
    # of the clips with both hands it travels further in 59 % (61 %) and reaches higher in 77 %
    # (72 %). Well under 100 %: the base hand of two-handed signs is held still and detected
    # more often, and WLASL has left-handed signers.
    assert np.mean(seen_more) >= 0.58
    assert np.mean(further) >= 0.55
    assert np.mean(higher) >= 0.70
