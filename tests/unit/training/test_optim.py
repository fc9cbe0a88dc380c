import pytest
import torch
from torch import nn

from signclip.config import TrainConfig
from signclip.errors import ConfigError
from signclip.training.optim import build_optimizer


class TwoTowers(nn.Module):
    def __init__(self):
        super().__init__()
        self.pose_encoder = nn.Linear(3, 3)
        self.text_encoder = nn.Linear(3, 3)
        self.log_logit_scale = nn.Parameter(torch.tensor(1.0))


def groups_of(model, optimizer):
    """parameter name -> (lr, weight decay) of its group."""
    found = {}
    for name, param in model.named_parameters():
        for group in optimizer.param_groups:
            if any(param is q for q in group["params"]):
                found[name] = (group["lr"], group["weight_decay"])
    return found


def test_the_text_tower_learns_at_its_own_rate():
    model = TwoTowers()
    found = groups_of(model, build_optimizer(model, TrainConfig(lr=1e-3, text_lr=1e-5)))
    assert found["text_encoder.weight"] == (1e-5, 0.01)
    assert found["text_encoder.bias"] == (1e-5, 0.0)
    assert found["pose_encoder.weight"] == (1e-3, 0.01)
    assert found["log_logit_scale"] == (1e-3, 0.0)


def test_without_a_text_rate_the_groups_stay_two():
    model = TwoTowers()
    optimizer = build_optimizer(model, TrainConfig(lr=1e-3))
    assert len(optimizer.param_groups) == 2
    assert {lr for lr, _ in groups_of(model, optimizer).values()} == {1e-3}


def test_a_text_rate_must_be_positive():
    with pytest.raises(ConfigError, match="text_lr"):
        TrainConfig(text_lr=0.0)
