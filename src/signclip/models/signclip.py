"""`SignCLIP`: the two towers, their projections and the similarity scale."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from signclip.batch import Batch, Output, PoseBatch, TextBatch
from signclip.config import ModelConfig, PoseConfig
from signclip.errors import ConfigError
from signclip.models.standardize import PointStandardizer
from signclip.models.text_encoder import TextEncoder


class SignCLIP(nn.Module):
    """Poses and texts into one space of size E.

    E is `projection_dim` when set (both towers project to it); otherwise the text width, and the
    pose tower gets a projection only when its width differs. With `normalize`, embeddings are
    L2-normalised and compared by cosine times a learnable scale; the paper compares raw dot
    products with a fixed scale of 1.
    """

    def __init__(
        self,
        model_config: ModelConfig,
        pose_config: PoseConfig,
        num_features: int,
        pose_encoder: nn.Module,
        text_encoder: TextEncoder,
        tag_token_ids: Sequence[int] = (),
    ):
        """`tag_token_ids`: the language-tag tokens of the tokenizer; with a locked text tower
        their embedding rows still learn, so that `<ase>` and `<gsg>` come to mean something."""
        super().__init__()
        self.model_config = model_config
        self.pose_config = pose_config
        self.num_features = num_features
        self.standardizer = PointStandardizer(num_features) if pose_config.zscore else None
        self.pose_encoder = pose_encoder
        self.text_encoder = text_encoder
        self.pose_projection, self.text_projection = _projections(
            model_config.projection_dim, pose_encoder.width, text_encoder.width
        )
        self._init_scale(model_config)
        self.partly_frozen: tuple[str, ...] = ()
        self.lock_text(tag_token_ids)

    def lock_text(self, tag_token_ids: Sequence[int]) -> None:
        """Lock the text tower if the config says so, all but the rows of `tag_token_ids`; call
        again after the vocabulary grows (a resized embedding is a new, unlocked matrix)."""
        if not self.model_config.freeze_text:
            return
        self.text_encoder.requires_grad_(False)
        self.partly_frozen = ()
        if tag_token_ids:
            self._unlock_token_rows(tag_token_ids)

    def _unlock_token_rows(self, token_ids: Sequence[int]) -> None:
        """Let the embedding rows of `token_ids` train while every other row stays locked.

        Added tags start from the vocabulary's mean embedding; locked with the rest, every tag
        would stay that same vector and prompts would not tell sign languages apart. The other
        rows get a zero gradient, which Adam turns into a zero step; weight decay would still
        shrink them, so the optimiser leaves this matrix undecayed (`partly_frozen`).
        """
        embedding = self.text_encoder.model.get_input_embeddings()
        rows = torch.zeros(embedding.weight.shape[0], 1)
        rows[torch.as_tensor(list(token_ids), dtype=torch.long)] = 1.0
        # Not persistent: it follows from the tokenizer, and saved folders keep their key set.
        self.register_buffer("trainable_token_rows", rows, persistent=False)
        embedding.weight.requires_grad_(True)
        embedding.weight.register_hook(lambda grad: grad * self.trainable_token_rows.to(grad))
        prefix = "text_encoder.model."
        self.partly_frozen = tuple(
            prefix + name
            for name, param in self.text_encoder.model.named_parameters()
            if param is embedding.weight
        )

    def train(self, mode: bool = True) -> SignCLIP:
        super().train(mode)
        if self.model_config.freeze_text:
            self.text_encoder.eval()  # a locked tower keeps its dropout off
        return self

    def _init_scale(self, cfg: ModelConfig) -> None:
        if cfg.logit_scale_init <= 0 or cfg.logit_scale_init > cfg.logit_scale_max:
            raise ConfigError(
                f"model.logit_scale_init {cfg.logit_scale_init} must lie in "
                f"(0, logit_scale_max={cfg.logit_scale_max}]"
            )
        # Stored as a log so the learned scale stays positive; a buffer when fixed, so it is
        # saved either way and the optimiser never sees it.
        log_scale = torch.tensor(math.log(cfg.logit_scale_init))
        if cfg.learnable_scale:
            self.log_logit_scale = nn.Parameter(log_scale)
        else:
            self.register_buffer("log_logit_scale", log_scale)

    @property
    def logit_scale(self) -> torch.Tensor:
        """The multiplier of the similarities in the loss ([] tensor, at most logit_scale_max)."""
        return self.log_logit_scale.exp().clamp(max=self.model_config.logit_scale_max)

    @property
    def embedding_size(self) -> int:
        return _output_size(self.text_projection, self.text_encoder.width)

    def encode_pose(self, pose: PoseBatch) -> torch.Tensor:
        """Clips of at most `max_frames` frames -> embeddings [B, E]."""
        features = pose.features
        if features.shape[-1] != self.num_features:
            raise ValueError(
                f"pose features have {features.shape[-1]} values per frame, the model expects "
                f"{self.num_features} (pose preset {self.pose_config.preset!r})"
            )
        if self.standardizer is not None:
            features = self.standardizer(features)
        pooled = self.pose_encoder(features, pose.mask)
        return self._finish(self.pose_projection(pooled))

    def encode_text(self, text: TextBatch) -> torch.Tensor:
        """Tokenised texts -> embeddings [B, E]."""
        # A locked tower needs no graph, unless gradients must reach its unlocked tag rows.
        text_learns = not self.model_config.freeze_text or bool(self.partly_frozen)
        with torch.set_grad_enabled(torch.is_grad_enabled() and text_learns):
            pooled = self.text_encoder(text.input_ids, text.attention_mask)
        return self.project_text(pooled)

    def project_text(self, pooled: torch.Tensor) -> torch.Tensor:
        """The text tower's pooled outputs [B, H] -> embeddings [B, E]."""
        return self._finish(self.text_projection(pooled))

    def _finish(self, embedding: torch.Tensor) -> torch.Tensor:
        return F.normalize(embedding, dim=-1) if self.model_config.normalize else embedding

    def forward(self, batch: Batch) -> Output:
        return Output(self.encode_pose(batch.pose), self.encode_text(batch.text), self.logit_scale)


def _projections(dim: int | None, pose_width: int, text_width: int) -> tuple[nn.Module, nn.Module]:
    # Bias-free like CLIP's: a shared offset would only shift every embedding alike.
    if dim is not None:
        return nn.Linear(pose_width, dim, bias=False), nn.Linear(text_width, dim, bias=False)
    pose = nn.Identity() if pose_width == text_width else nn.Linear(pose_width, text_width, False)
    return pose, nn.Identity()


def _output_size(projection: nn.Module, width: int) -> int:
    return projection.out_features if isinstance(projection, nn.Linear) else width
