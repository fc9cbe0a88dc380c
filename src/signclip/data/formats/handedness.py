"""Which of two MediaPipe Hands slots holds the signer's left hand and which the right.

MediaPipe Hands returns up to two hands per frame in the order it found them; files that keep
only that order (WLASL300's hand landmarks, `landmark_arrays`' `hands` layout) say nothing about
sides. `assign_hands` turns such slots [T, 2, P, D] (NaN where a hand was not detected) into
(left, right) hands, clip by clip. A hand is placed by its wrist (by the centre of its detected
points when the wrist is missing) and measured by its size, the diagonal of its points' box:

1. Duplicates: MediaPipe sometimes reports one hand twice, the second a frame behind (a tracked
   box and a fresh detection). When the two hands' centres are closer than `DUPLICATE_CENTRES`
   sizes or their boxes overlap by `DUPLICATE_OVERLAP` (IoU) or more, the second slot is dropped.
2. Anchors: in frames with two hands apart in x by at least `SEPARATED` sizes, the hand at smaller
   image x is the right one (a signer facing a camera that does not mirror).
3. Continuity everywhere else, forwards and backwards from the first anchor: a lone hand keeps the
   side of the lone hand of the frame before when it moved less than `SAME_HAND_STEP` sizes, else
   it takes the side whose last known place is nearest; two hands close in x (stacked, crossing)
   take the pairing nearest to the sides' last known places.
4. A clip without an anchor starts with its first hand on the right (most signers are
   right-handed, and a lone hand is the one that signs) and follows it as in 3.

Evidence, from the 2,343 clips of ../shared/data/wlasl300-hands (153,704 frames, 55,735 with two
hands, 41,049 with one; MediaPipe Hands in tracking mode on the unmirrored videos):
- Slot order carries no side: slot 0 is at smaller x in 52 % of two-hand frames.
- Chirality does not decide it: the sign of wrist→index-knuckle × wrist→pinky-knuckle flips with
  the palm's facing; with the hands ordered by x it shows both palms to the camera in 25 % of
  two-hand frames and both backs in 42 %. In 3D (index and pinky knuckles and thumb around the
  wrist) the hands' signs follow x order in only 69 % of the frames whose hands are more than
  0.15 of the frame apart (13 % the other way round, 18 % alike).
- Tracking alone is not enough: slots swap between consecutive two-hand frames in 0.5 % of pairs
  (nearest hands), which tracking fixes, but x order flips in 1.8 % (hands crossing, stacked).
- Duplicates: two-hand episodes of one or two frames have centres closer than 0.3 sizes in 48 %
  of their frames, longer episodes in 4 %; they sit in one-handed signs (drink, water, candy) at
  the frame the hand enters, and there x order labels one copy left. Step 1 empties 4,224 slots
  (7.6 % of two-hand frames).
- Position alone cannot label a lone hand: in the 252 clips that never show two hands, the hand
  lies left of the frame's centre (the signer's right) in 86 %, but signers are not all centred.
- This method's labels: the right wrist is at smaller x in 97.7 % of two-hand frames (the rest
  are close hands, left to continuity); a hand seen in two consecutive frames while the other
  appears or vanishes keeps its side in 98.4 % of 6,886 cases; consecutive two-hand frames keep
  their pairing in 99.9 %. The right hand is present in more frames in 62 % of clips, and of the
  1,583 clips with both sides it travels further in 61 % and reaches higher in 72 % (well
  under 100 %: the base hand of a two-handed sign is held still and detected more often, and
  WLASL has left-handed signers). Without step 1 a lone hand keeps its side in 96.2 %
  and the right hand is seen more often in only 48 % of clips: a duplicate pair labels one copy
  left, and the lone hand that follows stays left. `tests/unit/data/test_handedness.py` checks
  these rates on every 8th clip.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator

import numpy as np

LEFT, RIGHT = 0, 1  # the output's hand order: convention.hands_header's components
DUPLICATE_CENTRES = 0.3
DUPLICATE_OVERLAP = 0.4
SEPARATED = 0.5
SAME_HAND_STEP = 1.0


def assign_hands(slots: np.ndarray) -> np.ndarray:
    """[T, 2, P, D] hands in detection order, NaN where not detected -> [T, 2, P, D] as (left,
    right); a dropped duplicate and an absent hand are all NaN. x, y are the first two of D."""
    slots = without_duplicates(slots)
    sides = hand_sides(slots)
    hands = np.full_like(slots, np.nan)
    frames, slot = np.nonzero(sides >= 0)
    hands[frames, sides[frames, slot]] = slots[frames, slot]
    return hands


def without_duplicates(slots: np.ndarray) -> np.ndarray:
    """The slots with the second one emptied in frames where it repeats the first hand."""
    present, centre, size = hand_geometry(slots)
    both = present.all(axis=1)
    mean_size = size.mean(axis=1)
    apart = np.linalg.norm(centre[:, 0] - centre[:, 1], axis=-1)
    duplicate = both & (
        (apart < DUPLICATE_CENTRES * mean_size) | (_overlap(slots) >= DUPLICATE_OVERLAP)
    )
    cleaned = slots.copy()
    cleaned[duplicate, 1] = np.nan
    return cleaned


def hand_geometry(slots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(present [T, 2] bool, centre [T, 2, 2] of the detected points' x y, size [T, 2]: the
    diagonal of their box); centre and size are NaN for an absent hand."""
    xy = slots[..., :2]
    present = np.isfinite(xy).all(axis=-1).any(axis=-1)
    with _nan_hands_allowed():
        centre = np.nanmean(xy, axis=2)
        extent = np.nanmax(xy, axis=2) - np.nanmin(xy, axis=2)
    return present, centre, np.linalg.norm(extent, axis=-1)


def hand_positions(slots: np.ndarray) -> np.ndarray:
    """[T, 2, 2]: each hand's wrist x y, or the centre of its detected points without a wrist."""
    _, centre, _ = hand_geometry(slots)
    return _wrist_or_centre(slots, centre)


def hand_sides(slots: np.ndarray) -> np.ndarray:
    """[T, 2] int8: LEFT or RIGHT for each detected slot, -1 where the slot is empty."""
    present, centre, size = hand_geometry(slots)
    place = _wrist_or_centre(slots, centre)
    sides = np.full(present.shape, -1, dtype=np.int8)
    gap = np.abs(place[:, 0, 0] - place[:, 1, 0])
    with _nan_hands_allowed():
        anchors = present.all(axis=1) & (gap >= SEPARATED * size.mean(axis=1))
    first_is_right = place[:, 0, 0] < place[:, 1, 0]
    sides[anchors] = np.where(first_is_right[anchors, None], (RIGHT, LEFT), (LEFT, RIGHT))
    with_hands = np.flatnonzero(present.any(axis=1))
    if not with_hands.size:
        return sides
    follower = _Follower(present, place, size, anchors, sides)
    seed = int(np.flatnonzero(anchors)[0]) if anchors.any() else int(with_hands[0])
    if not anchors[seed]:
        follower.label(seed, np.full((2, 2), np.nan), None)
    follower.run(range(seed + 1, len(sides)), seed)
    follower.run(range(seed - 1, -1, -1), seed)
    return sides


class _Follower:
    """Carries sides from labelled frames to the frames next to them, one direction per run."""

    def __init__(self, present, place, size, anchors, sides):
        self.present, self.place, self.size = present, place, size
        self.anchors, self.sides = anchors, sides

    def run(self, frames: Iterable[int], seed: int) -> None:
        last = np.full((2, 2), np.nan)  # last known place of each side
        self._remember(last, seed)
        previous: int | None = seed
        for t in frames:
            if not self.present[t].any():
                previous = None
                continue
            if not self.anchors[t]:
                self.label(t, last, previous)
            self._remember(last, t)
            previous = t

    def label(self, t: int, last: np.ndarray, previous: int | None) -> None:
        slots = np.flatnonzero(self.present[t])
        if len(slots) == 2:
            self.sides[t] = self._pair(self.place[t], last)
        else:
            self.sides[t, slots[0]] = self._lone(t, int(slots[0]), last, previous)

    def _pair(self, place: np.ndarray, last: np.ndarray) -> tuple[int, int]:
        known = np.flatnonzero(np.isfinite(last[:, 0]))
        if len(known) == 2:
            keep = _dist(place[0], last[LEFT]) + _dist(place[1], last[RIGHT])
            swap = _dist(place[0], last[RIGHT]) + _dist(place[1], last[LEFT])
            return (LEFT, RIGHT) if keep <= swap else (RIGHT, LEFT)
        if len(known) == 1:
            side = int(known[0])
            first_nearer = _dist(place[0], last[side]) <= _dist(place[1], last[side])
            return (side, 1 - side) if first_nearer else (1 - side, side)
        return (RIGHT, LEFT) if place[0, 0] < place[1, 0] else (LEFT, RIGHT)

    def _lone(self, t: int, slot: int, last: np.ndarray, previous: int | None) -> int:
        here = self.place[t, slot]
        if previous is not None and self.present[previous].sum() == 1:
            before = int(np.flatnonzero(self.present[previous])[0])
            if _dist(here, self.place[previous, before]) < SAME_HAND_STEP * self.size[t, slot]:
                return int(self.sides[previous, before])
        known = np.flatnonzero(np.isfinite(last[:, 0]))
        if not len(known):
            return RIGHT
        return int(known[np.argmin([_dist(here, last[k]) for k in known])])

    def _remember(self, last: np.ndarray, t: int) -> None:
        for slot in np.flatnonzero(self.present[t]):
            last[self.sides[t, slot]] = self.place[t, slot]


def _wrist_or_centre(slots: np.ndarray, centre: np.ndarray) -> np.ndarray:
    # The wrist moves only with the hand, the centre with the handshape too: following wrists kept
    # sides through 98.4 % of WLASL300's hand appearances, following centres 97.6 %.
    wrist = slots[:, :, 0, :2]
    return np.where(np.isfinite(wrist).all(axis=-1, keepdims=True), wrist, centre)


def _overlap(slots: np.ndarray) -> np.ndarray:
    """[T] intersection over union of the two slots' landmark boxes (NaN if a slot is empty)."""
    xy = slots[..., :2]
    with _nan_hands_allowed():
        low, high = np.nanmin(xy, axis=2), np.nanmax(xy, axis=2)
        shared = np.minimum(high[:, 0], high[:, 1]) - np.maximum(low[:, 0], low[:, 1])
        inter = np.clip(shared, 0, None).prod(axis=-1)
        areas = (high - low).prod(axis=-1)
        return inter / (areas.sum(axis=1) - inter + np.finfo(float).tiny)


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(*(a - b)))


@contextlib.contextmanager
def _nan_hands_allowed() -> Iterator[None]:
    # An absent hand is an all-NaN slice: its centre and box are NaN by design, not a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
