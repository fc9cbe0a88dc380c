"""Build a fresh tokenizer and model from the configuration."""

from __future__ import annotations

import logging

from torch import nn
from transformers import PretrainedConfig

from signclip.config import ModelConfig, PoseConfig
from signclip.errors import ConfigError
from signclip.models.pose_encoder import PaperPoseEncoder, PoseEncoder, paper_pose_config
from signclip.models.signclip import SignCLIP
from signclip.models.text_encoder import (
    MINILM_NAME,
    OFFLINE_CONFIGS,
    build_text_encoder,
    first_line,
    resolve_text_model,
)
from signclip.text.tokenizer import TextTokenizer

log = logging.getLogger(__name__)


def build_tokenizer(cfg: ModelConfig) -> TextTokenizer:
    """The text model's tokenizer (downloaded when needed for pretrained weights).

    With random weights (`text_pretrained: false`) nothing is downloaded for a model of built-in
    shape: when its tokenizer is not on disk, the bundled MiniLM tokenizer stands in (the random
    embedding matrix is sized to it), which is all tests and benchmarks need.
    """
    source = resolve_text_model(cfg.text_model)
    if cfg.text_pretrained or cfg.text_model not in OFFLINE_CONFIGS:
        return _load_tokenizer(source, cfg, local_only=False)
    try:
        return TextTokenizer.from_pretrained(
            source, cfg.text_max_length, cfg.language_tags, local_only=True
        )
    except OSError:
        log.warning(
            "%s: tokenizer not available locally; using the bundled MiniLM tokenizer for a "
            "randomly initialised model",
            cfg.text_model,
        )
        return _load_tokenizer(resolve_text_model(MINILM_NAME), cfg, local_only=True)


def _load_tokenizer(source: str, cfg: ModelConfig, local_only: bool) -> TextTokenizer:
    try:
        return TextTokenizer.from_pretrained(
            source, cfg.text_max_length, cfg.language_tags, local_only=local_only
        )
    except OSError as exc:
        raise ConfigError(
            f"model.text_model {cfg.text_model!r}: cannot load its tokenizer from {source} "
            f"({first_line(exc)})"
        ) from exc


def build_model(
    model_cfg: ModelConfig, pose_cfg: PoseConfig, num_features: int, tokenizer: TextTokenizer
) -> SignCLIP:
    """A new model; the text embeddings cover every token of `tokenizer` (tags included)."""
    text_encoder = build_text_encoder(model_cfg, len(tokenizer))
    pose_encoder = build_pose_encoder(model_cfg, num_features, text_encoder.config, tokenizer)
    if model_cfg.pose_init_from_text:
        pose_encoder.init_from_text(text_encoder.model)
    return SignCLIP(
        model_cfg, pose_cfg, num_features, pose_encoder, text_encoder, tokenizer.tag_token_ids()
    )


def build_pose_encoder(
    cfg: ModelConfig, num_features: int, text_config: PretrainedConfig, tokenizer: TextTokenizer
) -> nn.Module:
    """The pose tower of `cfg.arch`, with random weights."""
    if cfg.arch == "default":
        if cfg.pose_init_from_text:
            raise ConfigError("model.pose_init_from_text needs model.arch: paper")
        return PoseEncoder(cfg, num_features)
    _check_paper_shape(cfg, text_config)
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    if cls_id is None or sep_id is None:
        raise ConfigError(f"model.arch paper: the tokenizer of {cfg.text_model} has no [CLS]/[SEP]")
    config = paper_pose_config(text_config, cfg.pose_layers, cfg.dropout)
    return PaperPoseEncoder(config, num_features, cfg.max_frames, cls_id, sep_id)


def _check_paper_shape(cfg: ModelConfig, text_config: PretrainedConfig) -> None:
    # The paper's pose tower is a copy of the text BERT: the pose_* sizes must say so honestly
    # rather than be silently ignored.
    expected = {
        "pose_width": text_config.hidden_size,
        "pose_heads": text_config.num_attention_heads,
        "pose_ffn": text_config.intermediate_size,
    }
    for key, value in expected.items():
        if getattr(cfg, key) != value:
            raise ConfigError(
                f"model.{key} {getattr(cfg, key)}: arch paper builds the pose tower in the text "
                f"model's shape, which has {value}"
            )
