import math

import numpy as np
import pytest

from signclip.evaluation.retrieval import format_table, retrieval_metrics, unique_texts


def naive_metrics(pose, text, target, ks=(1, 5, 10)):
    """The protocol spelled out with loops: pessimistic ranks, one query per text or clip."""
    out = {"t2p": {}, "p2t": {}}
    t2p_ranks, t2p_hits = [], {k: [] for k in ks}
    for m in range(len(text)):
        correct = [n for n in range(len(pose)) if target[n] == m]
        if not correct:
            continue
        scores = [float(np.dot(text[m], pose[n])) for n in range(len(pose))]
        # rank each candidate: higher score first, among equal scores wrong ones first
        order = sorted(range(len(pose)), key=lambda n: (-scores[n], n in correct))
        first = next(i for i, n in enumerate(order) if n in correct) + 1
        t2p_ranks.append(first)
        for k in ks:
            t2p_hits[k].append(sum(1 for n in order[:k] if n in correct))
    for k in ks:
        out["t2p"][f"P@{k}"] = float(np.mean([h / k for h in t2p_hits[k]]))
        out["t2p"][f"R@{k}"] = float(np.mean([r <= k for r in t2p_ranks]))
    out["t2p"]["median_rank"] = float(np.median(t2p_ranks)) if len(t2p_ranks) % 2 else None
    p2t_ranks = []
    for n in range(len(pose)):
        scores = [float(np.dot(pose[n], text[m])) for m in range(len(text))]
        mine = scores[target[n]]
        ahead = sum(1 for m in range(len(text)) if m != target[n] and scores[m] >= mine)
        p2t_ranks.append(ahead + 1)
    for k in ks:
        out["p2t"][f"R@{k}"] = float(np.mean([r <= k for r in p2t_ranks]))
    out["p2t"]["ranks"] = p2t_ranks
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_naive_loops_with_duplicates_and_ties(seed):
    rng = np.random.default_rng(seed)
    num_texts, num_clips = 9, 31
    target = rng.integers(0, num_texts, num_clips)
    target[:num_texts] = np.arange(num_texts)  # every text has a clip
    # coarse values create exact ties between candidates
    pose = rng.integers(-2, 3, (num_clips, 4)).astype(np.float32)
    text = rng.integers(-2, 3, (num_texts, 4)).astype(np.float32)
    got = retrieval_metrics(pose, text, target)
    want = naive_metrics(pose, text, target)
    for k in (1, 5, 10):
        assert got["text_to_pose"][f"P@{k}"] == pytest.approx(want["t2p"][f"P@{k}"])
        assert got["text_to_pose"][f"R@{k}"] == pytest.approx(want["t2p"][f"R@{k}"])
        assert got["pose_to_text"][f"R@{k}"] == pytest.approx(want["p2t"][f"R@{k}"])
    assert got["text_to_pose"]["median_rank"] == want["t2p"]["median_rank"]  # 9 queries: odd
    ranks = sorted(want["p2t"]["ranks"])
    assert got["pose_to_text"]["median_rank"] == ranks[len(ranks) // 2]  # 31 queries: odd
    assert got["text_to_pose"]["queries"] == num_texts
    assert got["pose_to_text"]["candidates"] == num_texts


def test_constant_embeddings_score_at_chance_not_perfect():
    pose = np.ones((20, 3), np.float32)
    text = np.ones((5, 3), np.float32)
    target = np.arange(20) % 5
    got = retrieval_metrics(pose, text, target)
    assert got["pose_to_text"]["R@1"] == 0.0
    assert got["pose_to_text"]["median_rank"] == 5


def test_perfect_embeddings_and_chance_levels():
    target = np.array([0, 0, 1, 2, 3, 3, 3])
    text = np.eye(4, dtype=np.float32)
    pose = text[target]
    got = retrieval_metrics(pose, text, target)
    assert got["pose_to_text"]["R@1"] == 1.0
    assert got["text_to_pose"]["R@1"] == 1.0
    # P@1 is 1 for every query; P@5 counts all correct clips (2, 1, 1, 3) out of 5
    assert got["text_to_pose"]["P@5"] == pytest.approx(np.mean([2 / 5, 1 / 5, 1 / 5, 3 / 5]))
    chance = got["chance"]
    assert chance["pose_to_text"]["R@1"] == pytest.approx(1 / 4)
    want_r1 = np.mean([1 - math.comb(7 - c, 1) / 7 for c in (2, 1, 1, 3)])
    assert chance["text_to_pose"]["R@1"] == pytest.approx(want_r1)


def test_texts_without_clips_are_not_queries():
    target = np.array([0, 0])
    got = retrieval_metrics(np.ones((2, 2)), np.eye(2), target)
    assert got["text_to_pose"]["queries"] == 1


def test_unique_texts_keeps_first_seen_order():
    texts, index = unique_texts(["b", "a", "b", "c"])
    assert texts == ["b", "a", "c"]
    assert index.tolist() == [0, 1, 0, 2]


def test_table_names_every_metric():
    target = np.array([0, 1, 1])
    table = format_table(retrieval_metrics(np.eye(3)[:, :2], np.eye(2), target))
    for name in ("P@1", "R@10", "median_rank", "chance", "text→pose", "pose→text"):
        assert name in table


def test_nan_scores_rank_last_not_first():
    # Every comparison with NaN is false: unguarded, a broken model would score R@1 = 1.
    pose_emb = np.full((3, 4), np.nan, dtype=np.float32)
    text_emb = np.eye(3, 4, dtype=np.float32)
    metrics = retrieval_metrics(pose_emb, text_emb, np.arange(3))
    assert metrics["text_to_pose"]["R@1"] == 0.0
    assert metrics["pose_to_text"]["R@1"] == 0.0
