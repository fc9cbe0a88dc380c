import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from signclip.training.text_bank import TextBank


class ToyTextTower(nn.Module):
    """Pools token embeddings, with dropout so that eval mode is visible."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 6)
        self.drop = nn.Dropout(0.5)

    def forward(self, ids, mask):
        pooled = (self.embed(ids) * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.drop(pooled)


class ToyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.text_encoder = ToyTextTower()
        self.text_projection = nn.Linear(6, 4, bias=False)
        self.logit_scale = torch.tensor(7.0)

    def project_text(self, pooled):
        return F.normalize(self.text_projection(pooled), dim=-1)


def prompt_table():
    ids = torch.tensor([[1, 2, 0], [3, 4, 5], [6, 0, 0], [7, 8, 0]])
    mask = (ids > 0).long()
    return ids, mask


def test_bank_loss_is_cross_entropy_over_every_training_prompt():
    torch.manual_seed(0)
    model = ToyModel().train()
    ids, mask = prompt_table()
    # Clips use prompts 0, 1, 3 in training (twice 3); prompt 2 belongs to the test split only.
    bank = TextBank(np.array([3, 0, 3, 1]), num_prompts=4)
    bank.refresh(model, ids, mask, chunk=2)
    assert model.text_encoder.training  # the refresh puts the tower back as it found it

    pose = F.normalize(torch.randn(3, 4), dim=-1).requires_grad_()
    text_ids = torch.tensor([1, 3, 0])
    loss = bank.loss(model, pose, text_ids)

    model.eval()
    rows = torch.tensor([0, 1, 3])
    with torch.no_grad():
        pooled = torch.stack([model.text_encoder(ids[r : r + 1], mask[r : r + 1])[0] for r in rows])
    logits = 7.0 * pose @ model.project_text(pooled).T
    expected = F.cross_entropy(logits, torch.tensor([1, 2, 0]))
    assert float(loss) == pytest.approx(float(expected), rel=1e-6)
    loss.backward()
    assert model.text_projection.weight.grad is not None and pose.grad is not None
    assert model.text_encoder.embed.weight.grad is None  # the bank itself carries no graph


def test_the_bank_is_refused_before_its_first_refresh():
    bank = TextBank(np.array([0, 1]), num_prompts=4)
    with pytest.raises(RuntimeError, match="before its first refresh"):
        bank.loss(ToyModel(), torch.randn(1, 4), torch.tensor([0]))


def test_saved_state_restores_the_bank():
    model = ToyModel()
    ids, mask = prompt_table()
    bank = TextBank(np.array([0, 2]), num_prompts=4)
    bank.refresh(model, ids, mask, chunk=8)
    copy = TextBank(np.array([0, 2]), num_prompts=4)
    copy.load(bank.state())
    assert torch.equal(copy.pooled, bank.pooled)
    assert TextBank(np.array([0]), 4).state() == {}
