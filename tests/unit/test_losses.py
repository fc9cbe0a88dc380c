import math

import pytest
import torch

from signclip.batch import Output
from signclip.config import LossConfig
from signclip.losses import ContrastiveLoss, info_nce

TEXT_IDS = [0, 1, 0, 2, 1, 0]


def embeddings(seed: int = 0, batch: int = 6, dim: int = 8):
    gen = torch.Generator().manual_seed(seed)
    pose = torch.randn(batch, dim, generator=gen, dtype=torch.float64)
    text = torch.randn(batch, dim, generator=gen, dtype=torch.float64)
    return pose, text


def naive_info_nce(pose, text, scale, text_ids, reduction, duplicate_texts):
    """Row by row with a hand-written log-sum-exp, for comparison."""
    n = len(pose)
    logits = [[scale * float(pose[i] @ text[j]) for j in range(n)] for i in range(n)]

    def cross_entropy(row: list[float], positive: int, owner: int) -> float:
        kept = [
            value
            for j, value in enumerate(row)
            if j == positive or duplicate_texts == "negatives" or text_ids[j] != text_ids[owner]
        ]
        top = max(kept)
        log_sum_exp = top + math.log(sum(math.exp(v - top) for v in kept))
        return log_sum_exp - row[positive]

    pose_to_text = sum(cross_entropy(logits[i], i, i) for i in range(n)) / n
    columns = [[logits[i][j] for i in range(n)] for j in range(n)]
    text_to_pose = sum(cross_entropy(columns[j], j, j) for j in range(n)) / n
    total = pose_to_text + text_to_pose
    return total / 2 if reduction == "mean" else total


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("duplicate_texts", ["mask", "negatives"])
def test_matches_a_naive_loop(reduction, duplicate_texts):
    pose, text = embeddings()
    scale = torch.tensor(2.5, dtype=torch.float64)
    loss = info_nce(pose, text, scale, torch.tensor(TEXT_IDS), reduction, duplicate_texts)
    expected = naive_info_nce(pose, text, 2.5, TEXT_IDS, reduction, duplicate_texts)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_masking_changes_the_loss_only_with_duplicates():
    pose, text = embeddings()
    args = (pose, text, 1.0)
    distinct = torch.arange(6)
    assert info_nce(*args, distinct, duplicate_texts="mask") == pytest.approx(
        info_nce(*args, distinct, duplicate_texts="negatives").item()
    )
    assert info_nce(*args, None).item() == pytest.approx(
        info_nce(*args, distinct, duplicate_texts="negatives").item()
    )
    dup = torch.tensor(TEXT_IDS)
    masked = info_nce(*args, dup, duplicate_texts="mask")
    assert masked < info_nce(*args, dup, duplicate_texts="negatives")


def test_sum_is_twice_the_mean():
    pose, text = embeddings(seed=3)
    ids = torch.tensor(TEXT_IDS)
    mean = info_nce(pose, text, 1.0, ids, reduction="mean")
    total = info_nce(pose, text, 1.0, ids, reduction="sum")
    assert total.item() == pytest.approx(2 * mean.item())


@pytest.mark.parametrize("duplicate_texts", ["mask", "negatives"])
def test_gradients_are_finite(duplicate_texts):
    pose, text = (t.float().requires_grad_() for t in embeddings(seed=1))
    log_scale = torch.tensor(math.log(1 / 0.07), requires_grad=True)
    ids = torch.tensor([0, 0, 0, 0, 1, 1])  # large groups of identical texts
    info_nce(pose, text, log_scale.exp(), ids, duplicate_texts=duplicate_texts).backward()
    for tensor in (pose, text, log_scale):
        assert torch.isfinite(tensor.grad).all()
    assert log_scale.grad != 0


def test_half_precision_inputs_give_a_float32_loss():
    pose, text = embeddings()
    loss = info_nce(pose.bfloat16(), text.bfloat16(), torch.tensor(10.0), torch.tensor(TEXT_IDS))
    assert loss.dtype == torch.float32 and torch.isfinite(loss)


def test_bad_arguments():
    pose, text = embeddings()
    with pytest.raises(ValueError, match="reduction"):
        info_nce(pose, text, 1.0, reduction="max")
    with pytest.raises(ValueError, match="duplicate_texts"):
        info_nce(pose, text, 1.0, duplicate_texts="drop")
    with pytest.raises(ValueError, match=r"\[B, E\]"):
        info_nce(pose, text[:3], 1.0)


def test_contrastive_loss_module_uses_its_config():
    pose, text = embeddings(seed=2)
    ids = torch.tensor(TEXT_IDS)
    out = Output(pose, text, torch.tensor(3.0, dtype=torch.float64))
    module = ContrastiveLoss(LossConfig(reduction="sum", duplicate_texts="negatives"))
    expected = info_nce(pose, text, out.logit_scale, ids, "sum", "negatives")
    assert module(out, ids).item() == pytest.approx(expected.item())
