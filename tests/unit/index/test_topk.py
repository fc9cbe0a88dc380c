import numpy as np
import pytest

from signclip.index.topk import top_k


def naive_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    # Full stable sort: equal scores keep row order.
    return np.array(sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k], dtype=np.int64)


@pytest.mark.parametrize("k", [1, 3, 10, 49, 50, 80])
def test_matches_a_full_sort_with_many_ties(k):
    rng = np.random.default_rng(k)
    # Few distinct values: most of the k-th score's rows tie with it.
    scores = rng.integers(0, 6, 50).astype(np.float32)
    assert np.array_equal(top_k(scores, k), naive_top_k(scores, k))


def test_matches_a_full_sort_on_distinct_scores():
    scores = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    assert np.array_equal(top_k(scores, 25), naive_top_k(scores, 25))


def test_negative_scores_and_all_equal():
    scores = np.full(8, -2.5, np.float32)
    assert top_k(scores, 3).tolist() == [0, 1, 2]
