import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from signclip.data.manifest import ClipRecord
from signclip.errors import ConfigError, ManifestError
from signclip.evaluation.recognition import (
    RecognitionOptions,
    check_options,
    check_signers,
    signer_overlap,
    zero_shot_scores,
)


class FakeEncoder:
    """Each text gets a fixed random vector; similarity is the dot product."""

    def __init__(self, normalize: bool):
        self.model = SimpleNamespace(model_config=SimpleNamespace(normalize=normalize))
        self.seen: list[str] = []

    @staticmethod
    def vector(text: str) -> np.ndarray:
        return np.random.default_rng(zlib.crc32(text.encode())).normal(size=6)

    def embed_texts(self, texts):
        self.seen.extend(texts)
        return np.stack([self.vector(t) for t in texts])

    def similarity(self, pose, text):
        return pose @ text.T


def record(i, text, spoken, sign, split="test", signer=None):
    return ClipRecord(f"c{i}", Path(f"c{i}.pose"), text, spoken, sign, split, signer)


@pytest.mark.parametrize("normalize", [False, True])
def test_zero_shot_compares_each_clip_with_prompts_in_its_own_languages(normalize):
    records = [
        record(0, "A", "en", "ase"),
        record(1, "B", "de", "gsg"),
        record(2, "A", "en", "ase"),
    ]
    classes = ["A", "B"]
    templates = ["<{spoken_language}> <{sign_language}> {gloss}", "{text} in {sign_language}"]
    pose = np.random.default_rng(0).normal(size=(3, 6))
    encoder = FakeEncoder(normalize)
    scores = zero_shot_scores(encoder, pose, records, classes, templates)
    for i, r in enumerate(records):
        for c, gloss in enumerate(classes):
            prompts = [
                t.replace("{gloss}", gloss)
                .replace("{text}", gloss)
                .replace("{spoken_language}", r.spoken_language)
                .replace("{sign_language}", r.sign_language)
                for t in templates
            ]
            mean = np.mean([FakeEncoder.vector(p) for p in prompts], axis=0)
            if normalize:
                mean = mean / np.linalg.norm(mean)
            assert scores[i, c] == pytest.approx(float(pose[i] @ mean))
    # one set of class prompts per language pair, not per clip
    assert len(encoder.seen) == 2 * len(classes) * len(templates)


def test_signer_overlap_counts_clips_of_shared_signers():
    train = [record(0, "A", "en", "ase", "train", "s1"), record(1, "A", "en", "ase", "train", "s2")]
    test = [
        record(2, "A", "en", "ase", "test", "s2"),
        record(3, "B", "en", "ase", "test", "s2"),
        record(4, "B", "en", "ase", "test", "s3"),
        record(5, "B", "en", "ase", "test", None),
    ]
    overlap = signer_overlap(train, test)
    assert overlap["shared_signers"] == ["s2"]
    assert (overlap["overlapping_test_clips"], overlap["overlapping_train_clips"]) == (2, 1)
    assert "2 test and 1 train" in check_signers(overlap, "train", "test", strict=False)
    with pytest.raises(ManifestError, match="signer-independent"):
        check_signers(overlap, "train", "test", strict=True)
    independent = signer_overlap(train[:1], test)
    assert independent["shared_signers"] == []
    assert check_signers(independent, "train", "test", strict=True) is None


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (RecognitionOptions(methods=("zero-shot", "svm")), "svm"),
        (RecognitionOptions(shots=(1, 0)), "shots"),
        (RecognitionOptions(probe_c=0.0), "probe C"),
        (RecognitionOptions(templates=("{language} {gloss}",)), "language"),
        (RecognitionOptions(probe_c=float("inf")), "probe C"),
        (RecognitionOptions(seed=-1), "seed"),
        (RecognitionOptions(train_split="dev", test_split="dev"), "is the test split"),
    ],
)
def test_bad_options_are_refused_before_any_work(options, named):
    with pytest.raises(ConfigError, match=named):
        check_options(options)


def test_zero_shot_alone_may_use_any_train_split():
    check_options(RecognitionOptions(methods=("zero-shot",), train_split="test"))
