"""The generated task is learnable: a sign looks more like itself by another signer than like
another sign. Checked cheaply, without training: mean-pooled features and nearest neighbours."""

import numpy as np

from signclip.config import PoseConfig
from signclip.pose.features import feature_layout
from signclip.synth.dataset import SynthSpec, plan_clips, signer
from signclip.synth.generate import iter_features

# Every signer signs every concept, so each clip has three same-concept clips by other signers.
SPEC = SynthSpec(concepts=8, languages=1, signers=4, clips_per_sign=4, seed=11)
CFG = PoseConfig(preset="sign-vq")


def pooled(features: np.ndarray, left_handed: bool) -> np.ndarray:
    """x, y of every point averaged over the frames where it was detected (NaN if never).

    A left-handed signer's clip is mirrored first, as the flip augmentation does: handedness is
    a nuisance a model must learn to ignore, not a difference between signs.
    """
    xyz = features.reshape(len(features), -1, 3)
    if left_handed:
        xyz = xyz[:, list(feature_layout(CFG).mirror)] * [-1, 1, 1]
    xy = xyz[..., :2].reshape(len(features), -1)
    present = xy != 0
    count = present.sum(axis=0)
    return np.where(count > 0, (xy * present).sum(axis=0) / np.maximum(count, 1), np.nan)


def test_same_concept_by_other_signers_is_nearer_than_other_concepts():
    plans = plan_clips(SPEC)
    concepts = np.array([p.concept for p in plans])
    signers = np.array([p.signer for p in plans])
    clips = zip(plans, iter_features(SPEC, CFG, plans=plans), strict=True)
    vectors = np.stack([pooled(f, signer(SPEC.seed, p.signer).left_handed) for p, (_, f) in clips])
    # Over the points both clips detected: a hand resting out of one camera's frame is no sign.
    distance = np.sqrt(np.nanmean((vectors[:, None] - vectors[None]) ** 2, axis=-1))
    other_signer = signers[:, None] != signers[None]
    same = (concepts[:, None] == concepts[None]) & other_signer
    different = concepts[:, None] != concepts[None]
    assert distance[same].mean() < 0.6 * distance[different].mean()
    # Nearest clip of another signer: the right concept far more often than chance (1/8) ...
    nearest = np.argmin(np.where(other_signer, distance, np.inf), axis=1)
    assert (concepts[nearest] == concepts).mean() > 0.6
    # ... yet signers differ enough that no two clips of a sign are copies of each other.
    assert distance[same].min() > 0.05 * distance[different].mean()
