"""Sign-language identification from prompt scores, against a loop-by-loop reference."""

import numpy as np
import pytest

from signclip.analysis.language_id import identify_languages

NAMES = ["ase", "bfi", "gsg"]


def test_matches_a_naive_confusion_matrix():
    rng = np.random.default_rng(0)
    truth = [NAMES[i] for i in rng.integers(0, 3, size=50)]
    scores = rng.normal(size=(50, 3))
    result = identify_languages(scores, truth, NAMES)
    confusion = [[0] * 3 for _ in NAMES]
    correct = 0
    for row, lang in zip(scores, truth, strict=True):
        best = max(range(3), key=lambda j: row[j])
        confusion[NAMES.index(lang)][best] += 1
        correct += NAMES[best] == lang
    assert result["confusion"] == confusion
    assert result["accuracy"] == pytest.approx(correct / 50)
    counts = [truth.count(n) for n in NAMES]
    assert result["chance_majority"] == pytest.approx(max(counts) / 50)
    assert result["chance_uniform"] == pytest.approx(1 / 3)
    for j, name in enumerate(NAMES):
        assert result["recall"][name] == pytest.approx(confusion[j][j] / counts[j])


def test_embeddings_that_carry_the_language_are_identified():
    rng = np.random.default_rng(1)
    prompts = rng.normal(size=(3, 16))
    truth = [NAMES[i % 3] for i in range(30)]
    poses = np.array([prompts[NAMES.index(t)] + 0.3 * rng.normal(size=16) for t in truth])
    result = identify_languages(poses @ prompts.T, truth, NAMES)
    assert result["accuracy"] == 1.0
    assert np.trace(np.array(result["confusion"])) == 30


def test_language_without_poses_has_no_recall():
    result = identify_languages(np.eye(3)[:2], ["ase", "bfi"], NAMES)
    assert result["recall"]["gsg"] is None and result["accuracy"] == 1.0


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="do not match"):
        identify_languages(np.zeros((2, 2)), ["ase", "bfi"], NAMES)
