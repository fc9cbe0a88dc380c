"""Save a model folder and load it back with no network and no training config.

A folder holds `model.safetensors` (every weight and buffer, logit scale and z-score statistics
included), `signclip.json` (the model and pose configs, the feature count, the prompt template and
the windowing of long clips: see models/contract.py), `tokenizer/` and `text_config/` (the Hugging
Face config of the text model as built: layers cut, vocabulary resized), from which the
architecture is rebuilt with random weights before the weights load.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, PretrainedConfig

from signclip.config import ModelConfig, PoseConfig, from_dict, to_dict
from signclip.errors import ConfigError, ModelFolderError
from signclip.models.contract import ModelContract, default_stride
from signclip.models.factory import build_pose_encoder
from signclip.models.signclip import SignCLIP
from signclip.models.text_encoder import TextEncoder, first_line
from signclip.text.tokenizer import TextTokenizer

FORMAT_VERSION = 2
# Version 1 folders recorded no prompt and always windowed at half the context; the only template
# their training could have used without an override was this one.
VERSION_1_PROMPT = "<{spoken_language}> <{sign_language}> {text}"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "signclip.json"
TOKENIZER_DIR = "tokenizer"
TEXT_CONFIG_DIR = "text_config"


def save_model(
    folder: str | Path,
    model: SignCLIP,
    tokenizer: TextTokenizer,
    prompt: str,
    window_stride: int | None = None,
) -> None:
    """Write everything `load_model` and `load_contract` need into `folder` (created if missing).

    `prompt` is the template the model was trained with; `window_stride` the frames between the
    windows of a long clip (None: half the context)."""
    folder = Path(folder)
    contract = ModelContract.of(model, tokenizer, prompt, window_stride)
    folder.mkdir(parents=True, exist_ok=True)
    # Contiguous CPU copies: safetensors refuses views, and a GPU model must save the same bytes.
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(weights, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
    meta = {
        "format_version": FORMAT_VERSION,
        "model": to_dict(model.model_config),
        "pose": to_dict(model.pose_config),
        "num_features": model.num_features,
        "prompt": contract.prompt,
        "windows": {"frames": contract.window_frames, "stride": contract.window_stride},
    }
    (folder / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    tokenizer.save(folder / TOKENIZER_DIR)
    model.text_encoder.config.save_pretrained(str(folder / TEXT_CONFIG_DIR))


def load_model(folder: str | Path) -> tuple[SignCLIP, TextTokenizer]:
    """The model (on the CPU, in eval mode) and tokenizer saved in `folder`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(f"{folder}: no such model folder")
    model_cfg, pose_cfg, num_features = _read_meta(folder / CONFIG_FILE)
    tokenizer = TextTokenizer.load(folder / TOKENIZER_DIR)
    text_config = _read_text_config(folder / TEXT_CONFIG_DIR)
    text_encoder = TextEncoder.from_config(text_config, model_cfg.arch)
    try:
        pose_encoder = build_pose_encoder(model_cfg, num_features, text_config, tokenizer)
        model = SignCLIP(
            model_cfg, pose_cfg, num_features, pose_encoder, text_encoder, tokenizer.tag_token_ids()
        )
    except ConfigError as exc:
        raise ModelFolderError(f"{folder / CONFIG_FILE}: {exc}") from exc
    _load_weights(model, folder / WEIGHTS_FILE)
    return model.eval(), tokenizer


def load_contract(folder: str | Path) -> ModelContract:
    """The prompt template, language-tag mode, text length and windowing saved in `folder`."""
    path = Path(folder) / CONFIG_FILE
    meta = _read_json(path)
    model_cfg, _, _ = _parse_meta(meta, path)
    if meta["format_version"] == 1:
        frames = model_cfg.max_frames
        prompt, windows = VERSION_1_PROMPT, {"frames": frames, "stride": default_stride(frames)}
    else:
        prompt, windows = meta.get("prompt"), meta.get("windows")
    if not isinstance(prompt, str) or not isinstance(windows, dict):
        raise ModelFolderError(f"{path}: 'prompt' (text) and 'windows' (mapping) are required")
    frames, stride = windows.get("frames"), windows.get("stride")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (frames, stride)):
        raise ModelFolderError(f"{path}: windows.frames and windows.stride must be integers")
    if frames > model_cfg.max_frames:
        raise ModelFolderError(
            f"{path}: windows.frames {frames} exceeds the model's context ({model_cfg.max_frames})"
        )
    try:
        return ModelContract(
            prompt, model_cfg.language_tags, model_cfg.text_max_length, frames, stride
        )
    except ConfigError as exc:
        raise ModelFolderError(f"{path}: {exc}") from exc


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise ModelFolderError(f"{path}: missing (not a saved signclip model)")
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelFolderError(f"{path}: not readable JSON ({first_line(exc)})") from exc
    if not isinstance(meta, dict) or meta.get("format_version") not in (1, FORMAT_VERSION):
        found = meta.get("format_version") if isinstance(meta, dict) else None
        raise ModelFolderError(
            f"{path}: format_version {found!r} is not supported (expected {FORMAT_VERSION})"
        )
    return meta


def _read_meta(path: Path) -> tuple[ModelConfig, PoseConfig, int]:
    return _parse_meta(_read_json(path), path)


def _parse_meta(meta: dict, path: Path) -> tuple[ModelConfig, PoseConfig, int]:
    try:
        model_cfg = from_dict(ModelConfig, meta.get("model"), "model")
        pose_cfg = from_dict(PoseConfig, meta.get("pose"), "pose")
    except ConfigError as exc:
        raise ModelFolderError(f"{path}: {exc}") from exc
    num_features = meta.get("num_features")
    if not isinstance(num_features, int) or num_features <= 0:
        raise ModelFolderError(f"{path}: num_features must be a positive integer")
    return model_cfg, pose_cfg, num_features


def _read_text_config(folder: Path) -> PretrainedConfig:
    if not (folder / "config.json").is_file():
        raise ModelFolderError(f"{folder / 'config.json'}: missing")
    try:
        return AutoConfig.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelFolderError(
            f"{folder / 'config.json'}: not a usable config ({first_line(exc)})"
        ) from exc


def _load_weights(model: SignCLIP, path: Path) -> None:
    if not path.is_file():
        raise ModelFolderError(f"{path}: missing")
    try:
        weights = load_file(str(path))
    except (OSError, SafetensorError) as exc:
        raise ModelFolderError(f"{path}: unreadable safetensors file ({first_line(exc)})") from exc
    expected = model.state_dict()
    problem = _mismatch(expected, weights)
    if problem:
        raise ModelFolderError(f"{path}: does not match {CONFIG_FILE}: {problem}")
    model.load_state_dict(weights, strict=True)


def _mismatch(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor]) -> str:
    """A one-line description of the first differences between two state dicts ('' if none)."""
    missing = sorted(expected.keys() - found.keys())
    unknown = sorted(found.keys() - expected.keys())
    shapes = sorted(
        k for k in expected.keys() & found.keys() if expected[k].shape != found[k].shape
    )
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
    if unknown:
        parts.append(f"{len(unknown)} unknown (e.g. {unknown[0]})")
    if shapes:
        key = shapes[0]
        parts.append(
            f"{len(shapes)} of another shape (e.g. {key}: {list(found[key].shape)} instead of "
            f"{list(expected[key].shape)})"
        )
    return "; ".join(parts)
