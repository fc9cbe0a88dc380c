"""Signers: who signs differs in body, camera, tempo, size of signing, handedness and tracking.

A signer is drawn from its own seed (the dataset seed and its index), so adding signers never
changes the ones before; the split of signers into train, dev and test is drawn from the dataset
seed alone, so test signers never appear in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signclip.synth.hand import NUM_ANGLES
from signclip.synth.skeleton import Body, sample_body

# Recording sizes (width, height) and how common each is among signers.
RESOLUTIONS = {(640, 480): 4, (1280, 720): 4, (640, 360): 2, (512, 512): 2, (1920, 1080): 2}
LEFT_HANDED_P = 0.15
# Half the frame's width must hold this many shoulder widths (arms out to the side).
_MIN_HALF_WIDTH = 1.3
DEV_SHARE = TEST_SHARE = 0.15


@dataclass(frozen=True)
class Camera:
    width: int
    height: int
    scale: float  # pixels per shoulder width
    origin: tuple[float, float]  # pixel position of the shoulder midpoint


@dataclass(frozen=True, eq=False)
class Signer:
    index: int
    name: str
    body: Body
    camera: Camera
    speed: float  # > 1 signs faster: shorter clips
    amplitude: float  # scales movement paths
    left_handed: bool
    noise: float  # detection noise, standard deviation in shoulder widths
    drop_rate: float  # per frame, the chance a hand's detection starts to drop out
    hand_bias: np.ndarray  # [21] radians added to every handshape's joint angles
    face_shape: np.ndarray  # [3] the face template stretched per axis
    place_bias: np.ndarray  # [3] shoulder widths: where this signer's signing space sits
    posture: np.ndarray  # [4] head pitch, head roll, torso roll, torso turn (radians)


def signer_name(index: int) -> str:
    return f"s{index:03d}"


def sample_signer(index: int, rng: np.random.Generator) -> Signer:
    return Signer(
        index=index,
        name=signer_name(index),
        body=sample_body(rng),
        camera=sample_camera(rng),
        speed=float(np.exp(rng.normal(0.0, 0.12))),
        amplitude=float(rng.uniform(0.8, 1.2)),
        left_handed=bool(rng.random() < LEFT_HANDED_P),
        noise=float(rng.uniform(0.002, 0.008)),
        drop_rate=float(rng.uniform(0.0, 0.05)),
        hand_bias=rng.normal(0.0, np.radians(7.0), NUM_ANGLES),
        face_shape=np.array([rng.normal(1, 0.04), rng.normal(1, 0.04), 1.0]),
        place_bias=rng.normal(0.0, [0.06, 0.06, 0.08]),
        posture=rng.normal(0.0, [0.06, 0.03, 0.02, 0.1]),
    )


def sample_camera(rng: np.random.Generator) -> Camera:
    """The signer framed from above the head to about the hips, somewhat off centre."""
    keys = list(RESOLUTIONS)
    weights = np.array(list(RESOLUTIONS.values()), dtype=np.float64)
    width, height = keys[rng.choice(len(keys), p=weights / weights.sum())]
    visible = rng.uniform(2.7, 3.3)  # shoulder widths from the top edge to the bottom edge
    scale = min(height / visible, width / (2 * _MIN_HALF_WIDTH))
    x = width * (0.5 + rng.uniform(-0.05, 0.05))
    y = scale * rng.uniform(1.3, 1.5)  # the top of the head is about 1 shoulder width up
    return Camera(width, height, float(scale), (float(x), float(y)))


def assign_splits(num_signers: int, rng: np.random.Generator) -> list[str]:
    """The split of each signer: about 15 % dev, 15 % test, the rest train; with three signers
    or more, at least one of each."""
    if num_signers < 3:
        return ["train"] * num_signers if num_signers < 2 else ["train", "test"]
    n_dev = max(1, round(DEV_SHARE * num_signers))
    n_test = max(1, round(TEST_SHARE * num_signers))
    splits = ["dev"] * n_dev + ["test"] * n_test
    splits += ["train"] * (num_signers - len(splits))
    return [splits[i] for i in rng.permutation(num_signers)]
