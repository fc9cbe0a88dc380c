import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from signclip.evaluation.retrieval import format_table, retrieval_metrics, unique_texts


def middle(values) -> float:
    """The ordinary median, spelled out: the middle value, or the mean of the two middle ones."""
    ordered = sorted(values)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[half])
    return (ordered[half - 1] + ordered[half]) / 2


def naive_metrics(pose, text, target, ks=(1, 5, 10)):
    """The protocol spelled out with loops: pessimistic ranks, one query per text or clip."""
    out = {"t2p": {}, "p2t": {}}
    t2p_ranks, t2p_precision = [], {k: [] for k in ks}
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
            top = order[:k]  # all N candidates when N < k
            t2p_precision[k].append(sum(1 for n in top if n in correct) / len(top))
    for k in ks:
        out["t2p"][f"P@{k}"] = float(np.mean(t2p_precision[k]))
        out["t2p"][f"R@{k}"] = float(np.mean([r <= k for r in t2p_ranks]))
    out["t2p"]["median_rank"] = middle(t2p_ranks)
    p2t_ranks = []
    for n in range(len(pose)):
        scores = [float(np.dot(pose[n], text[m])) for m in range(len(text))]
        mine = scores[target[n]]
        ahead = sum(1 for m in range(len(text)) if m != target[n] and scores[m] >= mine)
        p2t_ranks.append(ahead + 1)
    for k in ks:
        out["p2t"][f"R@{k}"] = float(np.mean([r <= k for r in p2t_ranks]))
    out["p2t"]["median_rank"] = middle(p2t_ranks)
    return out


@pytest.mark.parametrize(
    ("seed", "num_texts", "num_clips"),
    [
        (0, 9, 31),  # odd query counts both ways
        (1, 8, 30),  # even query counts both ways
        (2, 9, 30),
        (3, 3, 4),  # fewer clips (and texts) than k = 5 and 10
        (4, 2, 2),
    ],
)
def test_matches_naive_loops_with_duplicates_and_ties(seed, num_texts, num_clips):
    rng = np.random.default_rng(seed)
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
    assert got["text_to_pose"]["median_rank"] == want["t2p"]["median_rank"]
    assert got["pose_to_text"]["median_rank"] == want["p2t"]["median_rank"]
    assert got["text_to_pose"]["queries"] == num_texts
    assert got["pose_to_text"]["candidates"] == num_texts


def test_even_query_count_takes_the_mean_of_the_middle_ranks():
    # text = identity, so scores = pose: clip i has exactly i texts scored above its own
    pose = np.array(
        [[0.5, 0, 0, 0], [1, 0.5, 0, 0], [1, 1, 0.5, 0], [1, 1, 1, 0.5]], dtype=np.float32
    )
    got = retrieval_metrics(pose, np.eye(4, dtype=np.float32), np.arange(4))
    assert got["pose_to_text"]["median_rank"] == 2.5  # ranks 1, 2, 3, 4


def test_precision_with_fewer_candidates_than_k():
    # Three clips of one text: the top-5 list holds all three, all correct.
    target = np.zeros(3, dtype=np.int64)
    got = retrieval_metrics(np.ones((3, 2), np.float32), np.ones((1, 2), np.float32), target)
    assert got["text_to_pose"]["P@5"] == 1.0 and got["text_to_pose"]["P@10"] == 1.0
    assert got["chance"]["text_to_pose"]["P@5"] == 1.0


def random_ranking_outcomes(num_candidates: int, num_correct: int):
    """Every equally likely ordering of the candidates (the first `num_correct` are correct)."""
    for order in itertools.permutations(range(num_candidates)):
        yield [candidate < num_correct for candidate in order]


def brute_force_chance(num_candidates: int, counts, ks):
    """Chance levels of a random ranking by enumerating every ordering of every query."""
    ranks, precision, recall = [], {k: [] for k in ks}, {k: [] for k in ks}
    for c in counts:
        outcomes = list(random_ranking_outcomes(num_candidates, c))
        query_ranks = [flags.index(True) + 1 for flags in outcomes]
        ranks += query_ranks  # every query has as many orderings: pooling weighs them alike
        for k in ks:
            top = [flags[:k] for flags in outcomes]
            precision[k].append(np.mean([sum(t) / len(t) for t in top]))
            recall[k].append(np.mean([r <= k for r in query_ranks]))
    return {
        **{f"P@{k}": float(np.mean(precision[k])) for k in ks},
        **{f"R@{k}": float(np.mean(recall[k])) for k in ks},
        "median_rank": middle(ranks),
    }


@pytest.mark.parametrize(
    "counts",
    [
        (1, 1, 1, 1),  # uniform ranks 1..4: the median falls between 2 and 3
        (2, 2),  # P(rank = 1) is exactly 1/2
        (1, 2, 3),
        (1, 5),
        (2, 3),
        (1, 1, 1, 2),
        (3,),
    ],
)
def test_chance_levels_match_enumerated_random_rankings(counts):
    ks = (1, 2, 5, 10)
    num_clips = sum(counts)
    target = np.repeat(np.arange(len(counts)), counts)
    rng = np.random.default_rng(0)
    pose = rng.normal(size=(num_clips, 3)).astype(np.float32)
    text = rng.normal(size=(len(counts), 3)).astype(np.float32)
    chance = retrieval_metrics(pose, text, target, ks)["chance"]
    want = brute_force_chance(num_clips, counts, ks)
    for name, value in want.items():
        assert chance["text_to_pose"][name] == pytest.approx(value), name
    want_p2t = brute_force_chance(len(counts), [1], ks)
    for name in [*(f"R@{k}" for k in ks), "median_rank"]:
        assert chance["pose_to_text"][name] == pytest.approx(want_p2t[name]), name


def exact_median_rank(num_candidates: int, num_correct: int) -> float:
    """The median of P(rank > r) = C(N - r, c) / C(N, c) in exact arithmetic."""
    total = math.comb(num_candidates, num_correct)

    def below(r: int) -> Fraction:
        return 1 - Fraction(math.comb(num_candidates - r, num_correct), total)

    ranks = range(1, num_candidates + 1)
    lower = next(r for r in ranks if below(r) >= Fraction(1, 2))
    upper = next(r for r in ranks if below(r) > Fraction(1, 2))
    return (lower + upper) / 2


@pytest.mark.parametrize(("num_texts", "clips_per_text"), [(400, 1), (401, 1), (200, 2)])
def test_chance_median_with_many_candidates(num_texts, clips_per_text):
    target = np.repeat(np.arange(num_texts), clips_per_text)
    rng = np.random.default_rng(0)
    pose = rng.normal(size=(len(target), 2)).astype(np.float32)
    text = rng.normal(size=(num_texts, 2)).astype(np.float32)
    chance = retrieval_metrics(pose, text, target)["chance"]
    want = exact_median_rank(len(target), clips_per_text)
    assert chance["text_to_pose"]["median_rank"] == want
    assert chance["pose_to_text"]["median_rank"] == (num_texts + 1) / 2


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
