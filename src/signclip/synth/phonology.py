"""Sign forms from phonological parameters, and how to draw and vary them.

A sign is, per hand, a handshape (optionally changing to another), a location on the body or
face, an orientation (where the fingers point, where the palm faces) and a movement (path, size,
repetitions); it is one-handed, two-handed symmetric or alternating, or made on the other hand
(dominant and base hand); it may carry a mouth or eyebrow action. Forms are described for a
right-handed signer; left-handed signers mirror them at animation time.

Inventories are weighted the way sign lexicons skew: unmarked handshapes (B, 5, 1, S) and neutral
space are the most common, so many signs share parameters and differ in one or two.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from signclip.synth.hand import HANDSHAPES

# Directions in the body frame (x to the signer's left, y down, z away from the camera), for the
# dominant right hand: "contra" crosses to the other side, "ipsi" goes out to the own side.
DIRECTIONS = {
    "up": (0.0, -1.0, 0.0),
    "down": (0.0, 1.0, 0.0),
    "forward": (0.0, 0.0, -1.0),
    "back": (0.0, 0.0, 1.0),
    "contra": (1.0, 0.0, 0.0),
    "ipsi": (-1.0, 0.0, 0.0),
    "up-forward": (0.0, -0.7, -0.7),
    "up-contra": (0.7, -0.7, 0.0),
}
FINGER_DIRECTIONS = {"up": 6, "forward": 4, "contra": 4, "up-forward": 3, "up-contra": 3, "down": 1}
PALM_FACINGS = {"forward": 4, "back": 3, "down": 4, "up": 2, "contra": 4, "ipsi": 1}
# Circles turn in one of these planes: name -> (first axis, second axis); and how common each is.
CIRCLE_PLANES = {"frontal": 3, "horizontal": 2, "sagittal": 2}
PLANES = {
    "frontal": ("contra", "down"),
    "horizontal": ("contra", "forward"),
    "sagittal": ("forward", "down"),
}

# name -> (anchor, offset, how common). Face offsets are in face widths from the face's centre,
# body and space offsets in shoulder widths from the shoulder midpoint; negative z is in front.
# At face and body locations the hand touches (with its fingertips or knuckles); in signing
# space it is the palm's centre that is placed.
LOCATIONS = {
    "forehead": ("face", (0.0, -0.45, -0.6), 5),
    "eye": ("face", (-0.2, -0.2, -0.6), 2),
    "nose": ("face", (0.0, 0.0, -0.8), 2),
    "mouth": ("face", (0.0, 0.27, -0.6), 4),
    "chin": ("face", (0.0, 0.55, -0.45), 5),
    "cheek": ("face", (-0.45, 0.1, -0.3), 4),
    "temple": ("face", (-0.55, -0.3, -0.1), 3),
    "ear": ("face", (-0.62, -0.05, 0.05), 1),
    "neck": ("body", (0.0, -0.2, -0.2), 2),
    "chest": ("body", (0.0, 0.35, -0.3), 6),
    "chest-side": ("body", (-0.3, 0.35, -0.3), 2),
    "shoulder": ("body", (-0.45, 0.05, -0.2), 2),
    "shoulder-contra": ("body", (0.42, 0.05, -0.2), 2),
    "stomach": ("body", (0.0, 0.9, -0.35), 2),
    "neutral": ("space", (-0.2, 0.45, -0.75), 14),
    "neutral-high": ("space", (-0.2, -0.05, -0.8), 3),
    "neutral-side": ("space", (-0.65, 0.4, -0.6), 4),
    "neutral-low": ("space", (-0.15, 0.8, -0.65), 3),
}
BASE_LOCATION = "base"  # on the non-dominant hand
# Where the base hand waits, for a right-handed signer (its left hand).
BASE_HAND_PLACE = (0.15, 0.65, -0.6)

MOVEMENTS = {
    "hold": 3,
    "straight": 10,
    "arc": 6,
    "circle": 6,
    "zigzag": 3,
    "tap": 6,
    "wiggle": 3,
    "twist": 4,
    "shake": 3,
}
DIRECTED = ("straight", "arc", "circle", "zigzag")  # the kinds whose path has a direction
PATH_DIRECTIONS = {"up": 3, "down": 3, "forward": 4, "back": 2, "contra": 3, "ipsi": 3}
SIZES = {0.15: 3, 0.3: 4, 0.5: 2}  # shoulder widths
REPEATS = {1: 5, 2: 4, 3: 2}
TWO_HANDED = {"one": 55, "symmetric": 18, "alternating": 9, "base": 18}
BASE_SHAPES = {"B": 5, "5": 2, "S": 2, "1": 2, "C": 1, "A": 1}
MOUTHS = {"none": 15, "open": 3, "round": 2}
BROWS = {"neutral": 16, "raised": 3, "lowered": 2}
# Handshape changes that lexicons favour (opening and closing); others are drawn at random.
CHANGES = (("S", "5"), ("O", "5"), ("flat-O", "5"), ("5", "S"), ("1", "X"), ("B", "bent-B"),
           ("C", "S"), ("V", "bent-V"), ("5", "flat-O"), ("L", "flat-O"))  # fmt: skip
CHANGE_P = 0.2


@dataclass(frozen=True)
class HandForm:
    handshape: str
    location: str
    fingers: str  # a FINGER_DIRECTIONS name
    palm: str  # a PALM_FACINGS name
    end_handshape: str | None = None


@dataclass(frozen=True)
class Movement:
    kind: str
    direction: str  # a PATH_DIRECTIONS name, a PLANES name for circles, "none" if undirected
    size: float
    repeats: int


@dataclass(frozen=True)
class SignForm:
    dominant: HandForm
    movement: Movement
    two_handed: str  # a TWO_HANDED name
    base: HandForm | None  # the base hand of "base" signs
    mouth: str = "none"
    brows: str = "neutral"


def pick(rng: np.random.Generator, table: dict) -> object:
    """A key of `table` drawn with probability proportional to its weight."""
    keys = list(table)
    weights = np.array([table[k] for k in keys], dtype=np.float64)
    return keys[rng.choice(len(keys), p=weights / weights.sum())]


def handshape_weights() -> dict[str, float]:
    return {name: spec[-1] for name, spec in HANDSHAPES.items()}


def sample_orientation(rng: np.random.Generator) -> tuple[str, str]:
    """(fingers, palm): the palm must face across the fingers, not along them."""
    fingers = pick(rng, FINGER_DIRECTIONS)
    along = np.array(DIRECTIONS[fingers])
    palms = {p: w for p, w in PALM_FACINGS.items() if abs(along @ DIRECTIONS[p]) < 0.75}
    return fingers, pick(rng, palms)


def sample_hand(rng: np.random.Generator, location: str) -> HandForm:
    shape = pick(rng, handshape_weights())
    end = None
    if rng.random() < CHANGE_P:
        starts = [pair for pair in CHANGES if pair[0] == shape]
        end = starts[rng.integers(len(starts))][1] if starts else pick(rng, handshape_weights())
        end = None if end == shape else end
    fingers, palm = sample_orientation(rng)
    return HandForm(shape, location, fingers, palm, end)


def sample_movement(rng: np.random.Generator) -> Movement:
    """A movement; parameters a kind does not use get one fixed value, so that two forms never
    differ only in something invisible."""
    kind = pick(rng, MOVEMENTS)
    direction = pick(rng, CIRCLE_PLANES if kind == "circle" else PATH_DIRECTIONS)
    size = float(pick(rng, SIZES))
    repeats = 1 if kind == "hold" else int(pick(rng, REPEATS))
    if kind not in DIRECTED:
        direction = "none"
    if kind in ("hold", "wiggle"):
        size = 0.3
    return Movement(kind, direction, size, repeats)


def sample_form(rng: np.random.Generator) -> SignForm:
    two_handed = pick(rng, TWO_HANDED)
    if two_handed == "base":
        base_fingers, base_palm = (
            ("contra", "up") if rng.random() < 0.6 else sample_orientation(rng)
        )
        base = HandForm(pick(rng, BASE_SHAPES), BASE_LOCATION, base_fingers, base_palm)
        dominant = sample_hand(rng, BASE_LOCATION)
    else:
        base = None
        dominant = sample_hand(rng, pick(rng, {k: v[2] for k, v in LOCATIONS.items()}))
    return SignForm(
        dominant=dominant,
        movement=sample_movement(rng),
        two_handed=two_handed,
        base=base,
        mouth=pick(rng, MOUTHS),
        brows=pick(rng, BROWS),
    )


def vary_slightly(form: SignForm, rng: np.random.Generator) -> SignForm:
    """The same sign with one minor difference at most (size or repetitions): how a shared,
    iconic form differs between languages."""
    what = rng.integers(3)
    movement = form.movement
    if what == 0:
        movement = dataclasses.replace(movement, size=float(pick(rng, SIZES)))
    elif what == 1 and movement.kind != "hold":
        movement = dataclasses.replace(movement, repeats=int(pick(rng, REPEATS)))
    return dataclasses.replace(form, movement=movement)


def change_one(form: SignForm, rng: np.random.Generator) -> SignForm:
    """A minimal pair of `form`: one major parameter drawn anew until it differs."""
    what = rng.integers(4)
    for _ in range(20):
        other = _redraw(form, what, rng)
        if other != form:
            return other
    return _redraw(form, (what + 1) % 4, rng)


def _redraw(form: SignForm, what: int, rng: np.random.Generator) -> SignForm:
    hand = form.dominant
    if what == 0:
        hand = dataclasses.replace(hand, handshape=pick(rng, handshape_weights()))
    elif what == 1 and hand.location != BASE_LOCATION:
        location = pick(rng, {k: v[2] for k, v in LOCATIONS.items()})
        hand = dataclasses.replace(hand, location=location)
    elif what == 2:
        fingers, palm = sample_orientation(rng)
        hand = dataclasses.replace(hand, fingers=fingers, palm=palm)
    else:
        return dataclasses.replace(form, movement=sample_movement(rng))
    return dataclasses.replace(form, dominant=hand)
