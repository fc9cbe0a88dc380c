import numpy as np
import pytest

from signclip.evaluation.fewshot import (
    draw_support,
    knn_neighbours,
    knn_scores,
    prototype_scores,
)
from signclip.evaluation.recognition_metrics import classification_metrics, true_class_ranks


def naive_rank(row, true):
    # Pessimistic: every other class scoring at least as high as the true one is ahead of it.
    return 1 + sum(1 for c, s in enumerate(row) if c != true and s >= row[true])


def test_ranks_and_metrics_match_a_loop_with_many_ties():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, size=(40, 12)).astype(float)  # small range: many ties
    target = rng.integers(0, 12, size=40)
    names = [f"c{i}" for i in range(12)]
    ranks = [naive_rank(scores[q], target[q]) for q in range(40)]
    assert true_class_ranks(scores, target).tolist() == ranks
    m = classification_metrics(scores, target, names)
    for k in (1, 5, 10):
        assert m[f"top{k}"] == pytest.approx(sum(r <= k for r in ranks) / 40)
        assert m["chance"][f"top{k}"] == pytest.approx(min(1.0, k / 12))
    assert m["median_rank"] == pytest.approx(float(np.median(ranks)))
    for c, name in enumerate(names):
        rows = [q for q in range(40) if target[q] == c]
        if rows:
            assert m["per_class_top1"][name] == pytest.approx(
                sum(ranks[q] == 1 for q in rows) / len(rows)
            )
        else:
            assert name not in m["per_class_top1"]
    assert m["classes"] == 12 and m["test_clips"] == 40


def test_constant_scores_are_scored_as_last_place_and_perfect_scores_as_first():
    target = np.array([0, 1, 2, 2])
    flat = classification_metrics(np.zeros((4, 3)), target, ["a", "b", "c"])
    assert flat["top1"] == 0.0 and flat["median_rank"] == 3.0
    perfect = classification_metrics(np.eye(3)[target], target, ["a", "b", "c"])
    assert perfect["top1"] == 1.0 and perfect["balanced_top1"] == 1.0


def test_unscorable_true_class_counts_as_a_miss():
    scores = np.array([[-np.inf, 0.5, -np.inf], [1.0, -np.inf, 0.0]])
    assert true_class_ranks(scores, np.array([0, 0])).tolist() == [3, 1]


def naive_prototype(query, support, labels, num_classes):
    out = np.empty((len(query), num_classes))
    for q in range(len(query)):
        for c in range(num_classes):
            members = [support[i] for i in range(len(labels)) if labels[i] == c]
            if not members:
                out[q, c] = -np.inf
            else:
                out[q, c] = sum(float(np.dot(query[q], s)) for s in members) / len(members)
    return out


def test_prototype_scores_match_a_loop():
    rng = np.random.default_rng(1)
    query, support = rng.normal(size=(7, 5)), rng.normal(size=(11, 5))
    labels = rng.integers(0, 3, size=11)  # class 3 has no support clip
    np.testing.assert_allclose(
        prototype_scores(query, support, labels, 4), naive_prototype(query, support, labels, 4)
    )


def naive_knn(query, support, labels, num_classes):
    mean = [sum(s[d] for s in support) / len(support) for d in range(support.shape[1])]
    std = []
    for d in range(support.shape[1]):
        var = sum((s[d] - mean[d]) ** 2 for s in support) / len(support)
        std.append(var**0.5 if var > 0 else 1.0)

    def z(x):
        return [(x[d] - mean[d]) / std[d] for d in range(len(x))]

    zs = [z(s) for s in support]
    n = max(1, round(len(support) ** 0.5))
    out = np.empty((len(query), num_classes))
    for q in range(len(query)):
        zq = z(query[q])
        dist = [sum((a - b) ** 2 for a, b in zip(zq, s, strict=True)) ** 0.5 for s in zs]
        nearest = sorted(range(len(zs)), key=lambda i: dist[i])[:n]
        for c in range(num_classes):
            members = [i for i in range(len(zs)) if labels[i] == c]
            if not members:
                out[q, c] = -np.inf
                continue
            votes = sum(1 for i in nearest if labels[i] == c)
            out[q, c] = votes + 0.5 / (1 + min(dist[i] for i in members))
    return out


def test_knn_scores_match_a_loop():
    rng = np.random.default_rng(2)
    query, support = rng.normal(size=(9, 4)), rng.normal(size=(17, 4)) * [1, 5, 0.1, 1]
    support[:, 3] = 2.0  # a constant dimension: std 0 must not divide by zero
    labels = rng.integers(0, 4, size=17)  # class 4 has no support clip
    np.testing.assert_allclose(
        knn_scores(query, support, labels, 5), naive_knn(query, support, labels, 5)
    )
    assert knn_neighbours(17) == 4 and knn_neighbours(1) == 1


def test_knn_and_prototypes_recognise_separated_clusters():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(5, 8)) * 10
    support_labels = np.repeat(np.arange(5), 4)
    support = centres[support_labels] + rng.normal(size=(20, 8)) * 0.1
    target = np.arange(5).repeat(2)
    query = centres[target] + rng.normal(size=(10, 8)) * 0.1
    names = list("abcde")
    knn = classification_metrics(knn_scores(query, support, support_labels, 5), target, names)
    assert knn["top1"] == 1.0
    # Dot-product prototypes favour long vectors; shifted to unit length they separate too.
    unit = centres / np.linalg.norm(centres, axis=1, keepdims=True)
    proto = prototype_scores(unit[target], unit[support_labels], support_labels, 5)
    assert classification_metrics(proto, target, names)["top1"] == 1.0


def test_support_draw_is_seeded_capped_and_within_class():
    labels = np.array([0] * 7 + [1] * 2 + [2] * 5)  # class 3 has no clip
    a = draw_support(labels, 4, 3, seed=42)
    assert a.short_classes == {1: 2, 3: 0}
    counts = np.bincount(a.labels, minlength=4).tolist()
    assert counts == [3, 2, 3, 0]
    assert (labels[a.rows] == a.labels).all() and len(set(a.rows.tolist())) == len(a.rows)
    b = draw_support(labels, 4, 3, seed=42)
    assert a.rows.tolist() == b.rows.tolist()
    draws = {tuple(draw_support(labels, 4, 3, seed=s).rows.tolist()) for s in range(10)}
    assert len(draws) > 1
    with pytest.raises(ValueError, match="shots"):
        draw_support(labels, 4, 0, seed=0)
