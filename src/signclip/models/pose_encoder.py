"""The pose tower: frames [B, T, F] with a frame mask -> one vector per clip [B, W].

`PoseEncoder` is the default (a pre-LN transformer over the real frames); `PaperPoseEncoder` is the
published E7.2 layout (a BERT over [CLS] + frames padded to `max_frames` + [SEP]).
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from transformers import BertConfig, BertModel, PreTrainedModel

from signclip.config import ModelConfig
from signclip.errors import ConfigError
from signclip.models.text_encoder import masked_mean


class FrameProjection(nn.Module):
    """One token per frame: Linear(F, W) -> GELU -> LayerNorm(W) -> Linear(W, W)."""

    def __init__(self, num_features: int, width: int):
        super().__init__()
        self.linear1 = nn.Linear(num_features, width)
        self.activation = nn.GELU()
        # PyTorch's default eps (1e-5) in both modes: the original's frame MLP used it too, not
        # BERT's 1e-12, so converted checkpoints reproduce its embeddings.
        self.layer_norm = nn.LayerNorm(width)
        self.linear2 = nn.Linear(width, width)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.layer_norm(self.activation(self.linear1(features))))


def check_pose_input(features: torch.Tensor, mask: torch.Tensor, max_frames: int) -> None:
    if features.ndim != 3 or tuple(mask.shape) != tuple(features.shape[:2]):
        raise ValueError(
            f"expected features [B, T, F] and mask [B, T], got {list(features.shape)} and "
            f"{list(mask.shape)}"
        )
    if features.shape[1] > max_frames:
        raise ValueError(
            f"pose batch has {features.shape[1]} frames but the model attends to at most "
            f"max_frames={max_frames}; cut longer clips into windows first"
        )


class PoseEncoder(nn.Module):
    """Frame projection + learned positions + pre-LN transformer + mean over the real frames."""

    def __init__(self, cfg: ModelConfig, num_features: int):
        super().__init__()
        if cfg.pose_width % cfg.pose_heads:
            raise ConfigError(
                f"model.pose_width {cfg.pose_width} is not divisible by "
                f"model.pose_heads {cfg.pose_heads}"
            )
        self.max_frames = cfg.max_frames
        self.frames = FrameProjection(num_features, cfg.pose_width)
        self.position_embeddings = nn.Parameter(torch.empty(cfg.max_frames, cfg.pose_width))
        nn.init.normal_(self.position_embeddings, std=0.02)
        self.dropout = nn.Dropout(cfg.dropout)
        layer = nn.TransformerEncoderLayer(
            cfg.pose_width,
            cfg.pose_heads,
            cfg.pose_ffn,
            cfg.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        # Nested tensors would drop the padded rows in eval mode only; the plain path keeps
        # training and inference numerically the same.
        self.encoder = nn.TransformerEncoder(layer, cfg.pose_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.pose_width)

    @property
    def width(self) -> int:
        return self.norm.normalized_shape[0]

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_pose_input(features, mask, self.max_frames)
        mask = mask.bool()
        tokens = self.frames(features) + self.position_embeddings[: features.shape[1]]
        padding = ~mask
        # A clip without real frames would mask every key and fill the whole batch with NaN;
        # letting it see its first slot keeps the others intact (its pooled vector is 0).
        padding[:, 0] &= mask.any(dim=1)
        hidden = self.encoder(self.dropout(tokens), src_key_padding_mask=padding)
        return masked_mean(self.norm(hidden), mask)


def paper_pose_config(text_config: BertConfig, pose_layers: int, dropout: float) -> BertConfig:
    """The pose BERT's config: the text model's, with `pose_layers` layers and `dropout`."""
    if not isinstance(text_config, BertConfig):
        raise ConfigError(
            f"model.arch paper needs a BERT text model, got {type(text_config).__name__}"
        )
    config = copy.deepcopy(text_config)
    config.num_hidden_layers = pose_layers
    config.hidden_dropout_prob = dropout
    config.attention_probs_dropout_prob = dropout
    return config


class PaperPoseEncoder(nn.Module):
    """The paper's pose tower: [CLS] + frame tokens zero-padded to `max_frames` + [SEP] -> BERT.

    [SEP] always sits at position max_frames + 1, whatever the clip's length; position ids are
    0..max_frames + 1 and token types 0 (BERT's defaults for inputs_embeds), so BERT's position and
    type embeddings, LayerNorm and dropout apply to the frame tokens. Pooling is the masked mean
    over the outputs excluding [CLS] and including [SEP].
    """

    def __init__(
        self, config: BertConfig, num_features: int, max_frames: int, cls_id: int, sep_id: int
    ):
        super().__init__()
        if config.max_position_embeddings < max_frames + 2:
            raise ConfigError(
                f"model.max_frames {max_frames}: the paper layout needs max_frames + 2 "
                f"positions, the text model has {config.max_position_embeddings}"
            )
        self.max_frames = max_frames
        self.frames = FrameProjection(num_features, config.hidden_size)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.register_buffer("special_ids", torch.tensor([cls_id, sep_id]), persistent=False)

    @property
    def width(self) -> int:
        return int(self.bert.config.hidden_size)

    def init_from_text(self, text_model: PreTrainedModel) -> None:
        """Copy the text BERT's embeddings and its first layers (the paper's initialisation)."""
        theirs = text_model.encoder.layer
        mine = self.bert.encoder.layer
        if len(theirs) < len(mine):
            raise ConfigError(
                f"model.pose_init_from_text: the pose tower has {len(mine)} layers, "
                f"the text model only {len(theirs)}"
            )
        self.bert.embeddings.load_state_dict(text_model.embeddings.state_dict())
        for target, source in zip(mine, theirs[: len(mine)], strict=True):
            target.load_state_dict(source.state_dict())

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_pose_input(features, mask, self.max_frames)
        batch, frames = features.shape[:2]
        tokens = self.frames(features)
        width = tokens.shape[-1]
        cls, sep = self.bert.embeddings.word_embeddings(self.special_ids).to(tokens.dtype)
        padding = tokens.new_zeros(batch, self.max_frames - frames, width)
        sequence = torch.cat(
            [cls.expand(batch, 1, width), tokens, padding, sep.expand(batch, 1, width)], dim=1
        )
        edge = mask.new_ones(batch, 1, dtype=torch.bool)
        attention = torch.cat(
            [edge, mask.bool(), edge.new_zeros(batch, self.max_frames - frames), edge], dim=1
        )
        hidden = self.bert(
            inputs_embeds=sequence, attention_mask=attention.long()
        ).last_hidden_state
        pooled = attention.clone()
        pooled[:, 0] = False
        return masked_mean(hidden, pooled)
