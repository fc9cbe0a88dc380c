"""Start a run from a saved model folder (fine-tuning) instead of fresh weights.

The folder fixes the architecture and the preprocessing: a run's `model` and `pose` sections must
be the folder's own (`config_from_folder` puts them in, with the folder's prompt template unless
the user chose another), so the run's config.yaml describes the model it trains. The z-score
statistics stay those the model was trained with. Language tags of the new data that the tokenizer
lacks become tokens with new embedding rows (which learn even with a locked text tower).
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path

from signclip.config import Config, ModelConfig, PoseConfig, from_dict
from signclip.data.prepared import PreparedData
from signclip.errors import ConfigError, ModelFolderError
from signclip.models.io import CONFIG_FILE, load_contract, load_model
from signclip.text.prompts import language_tags


def folder_configs(folder: str | Path) -> tuple[ModelConfig, PoseConfig]:
    """The model and pose configs saved in a model folder (read without loading the weights)."""
    path = Path(folder) / CONFIG_FILE
    if not Path(folder).is_dir():
        raise ModelFolderError(f"{folder}: no such model folder")
    if not path.is_file():
        raise ModelFolderError(f"{path}: missing (not a saved signclip model)")
    try:
        meta = json.loads(path.read_text())
        return from_dict(ModelConfig, meta["model"], "model"), from_dict(
            PoseConfig, meta["pose"], "pose"
        )
    except (ValueError, KeyError, TypeError, ConfigError) as exc:
        raise ModelFolderError(f"{path}: not a usable model config ({exc})") from exc


def config_from_folder(cfg: Config, folder: str | Path, keep_prompt: bool = False) -> Config:
    """`cfg` starting from `folder`: its model and pose sections replaced by the folder's, and
    its prompt template too unless `keep_prompt`."""
    model_cfg, pose_cfg = folder_configs(folder)
    train = replace(cfg.train, init_from=str(folder))
    data = cfg.data if keep_prompt else replace(cfg.data, prompt=load_contract(folder).prompt)
    return replace(cfg, model=model_cfg, pose=pose_cfg, train=train, data=data)


def _first_difference(a, b) -> str | None:
    for f in fields(a):
        if getattr(a, f.name) != getattr(b, f.name):
            return f"{f.name} is {getattr(a, f.name)!r} in the run but {getattr(b, f.name)!r}"
    return None


def load_initial_model(cfg: Config, data: PreparedData):
    """The model and tokenizer of `cfg.train.init_from`, ready to train on `data`."""
    folder = cfg.train.init_from
    model, tokenizer = load_model(folder)
    for section, run_cfg, saved in (
        ("model", cfg.model, model.model_config),
        ("pose", cfg.pose, model.pose_config),
    ):
        problem = _first_difference(run_cfg, saved)
        if problem:
            raise ConfigError(
                f"train.init_from {folder}: {section}.{problem} in the folder; a run started "
                "from a saved model uses its architecture (signclip finetune sets it)"
            )
    if data.cache.num_features != model.num_features:
        raise ConfigError(
            f"train.init_from {folder}: the data has {data.cache.num_features} features per "
            f"frame, the model {model.num_features}"
        )
    tags = sorted({tag for prompt in data.prompts for tag in language_tags(prompt)})
    if tokenizer.add_language_tags(tags):
        model.text_encoder.model.resize_token_embeddings(len(tokenizer))
        model.lock_text(tokenizer.tag_token_ids())
    return model.train(), tokenizer
