"""Frozen configuration dataclasses, YAML presets and `--set a.b=value` overrides.

Every component receives only its own section. Unknown keys and wrong types are errors that name
the key, so a typo in a config file fails at start-up rather than silently training the default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from signclip.errors import ConfigError


@dataclass(frozen=True)
class PoseConfig:
    """How a `.pose` file becomes features [T, F]."""

    preset: Literal["reduced-face", "sign-vq", "dominant-hand", "openpose-body-hands"] = (
        "reduced-face"
    )
    # Resample every clip to this frame rate (None keeps the recorded rate, as the paper did).
    fps: float | None = None
    # Per-point, per-axis z-score with statistics of the training split (applied inside the model,
    # after augmentation, so augmentations act on geometric coordinates).
    zscore: bool = False
    # Depth (see pose/convention.py). Recordings store MediaPipe's z unscaled while x and y are
    # pixels, so after normalisation z is almost 0: "raw" keeps it so (the paper), "pixels" puts
    # it on x's scale (times the frame width), "drop" leaves it out (F = K * 2) for datasets whose
    # depth is unreliable.
    depth: Literal["raw", "pixels", "drop"] = "raw"


@dataclass(frozen=True)
class AugmentConfig:
    """Training-only augmentations on batched tensors; 0 switches one off."""

    speed_std: float = 0.0  # temporal: speed ratio ~ N(1, speed_std), linear re-interpolation
    affine_std: float = 0.0  # 2D: rotation (rad), x-shear and y-scale each ~ N(0, affine_std)
    flip_p: float = 0.0  # probability of mirroring the signer (left/right swapped)
    noise_std: float = 0.0  # Gaussian noise on every real coordinate


@dataclass(frozen=True)
class ModelConfig:
    """Both towers and the similarity. `arch: paper` is the published E7.2 layout."""

    arch: Literal["default", "paper"] = "default"
    # Hugging Face name or local folder of the text encoder.
    text_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    # False builds the text encoder from its config with random weights (tests, benchmarks).
    text_pretrained: bool = True
    text_max_length: int = 64
    # Keep only the first N transformer layers of the text encoder (None: all of them).
    text_layers: int | None = None
    # Lock the text tower (no gradient, no dropout): the pose tower learns to land in a fixed
    # pretrained text space. Much cheaper per step; a text projection, if any, still trains.
    freeze_text: bool = False
    # "special": language tags like <en> <ase> become added tokens; "text": word-pieces (paper).
    language_tags: Literal["special", "text"] = "special"
    # Frames the pose transformer attends to at once (its context).
    max_frames: int = 256
    pose_width: int = 384
    pose_layers: int = 4
    pose_heads: int = 6
    pose_ffn: int = 1536
    dropout: float = 0.1
    # Paper: the pose transformer starts as a copy of the text transformer (same shape required).
    pose_init_from_text: bool = False
    # Project both towers to this many dimensions (None: the text width, no text projection).
    projection_dim: int | None = None
    # Default: cosine similarity with a learnable temperature. Paper: raw dot product, scale 1.
    normalize: bool = True
    logit_scale_init: float = 1 / 0.07
    learnable_scale: bool = True
    logit_scale_max: float = 100.0


@dataclass(frozen=True)
class LossConfig:
    reduction: Literal["mean", "sum"] = "mean"  # of the two directions; the paper summed them
    # "mask": identical texts in a batch are not negatives of each other;
    # "negatives": treat them as negatives anyway (the original's behaviour).
    duplicate_texts: Literal["mask", "negatives"] = "mask"


@dataclass(frozen=True)
class DataConfig:
    manifest: str = ""
    # Feature cache root; None uses $SIGNCLIP_CACHE or ~/.cache/signclip.
    cache_dir: str | None = None
    train_split: str = "train"
    val_split: str = "dev"
    prompt: str = "<{spoken_language}> <{sign_language}> {text}"
    # Fail the run on the first unusable clip instead of reporting and skipping it.
    strict: bool = False
    # Processes that build the feature cache (0: all cores).
    workers: int = 0
    # Group clips of similar length: each run of bucket_size batches is sorted by length before
    # it is cut into batches (0: plain shuffling). Less padding, slightly less varied batches.
    bucket_size: int = 0


@dataclass(frozen=True)
class TrainConfig:
    out_dir: str = "runs/default"
    epochs: int = 10
    batch_size: int = 64
    eval_batch_size: int = 256
    lr: float = 1e-4
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.98)
    warmup_steps: int = 100
    schedule: Literal["constant", "cosine"] = "cosine"
    grad_clip: float = 2.0
    # "auto": bf16 autocast on CUDA when supported, fp32 on CPU.
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    device: str = "auto"
    seed: int = 0
    log_every: int = 10
    # Also checkpoint every N steps inside an epoch (0: at epoch ends only).
    save_every_steps: int = 0
    # Stop after this many optimiser steps in total (None: run all epochs).
    max_steps: int | None = None
    progress: bool = True
    # Start from the weights of this saved model folder instead of a fresh model (fine-tuning);
    # the model and pose sections must then be the folder's own.
    init_from: str | None = None


@dataclass(frozen=True)
class Config:
    pose: PoseConfig = field(default_factory=PoseConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


PRESET_PACKAGE = "signclip.presets"


def preset_names() -> list[str]:
    folder = resources.files(PRESET_PACKAGE)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_config(
    source: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> Config:
    """Read a YAML file or a bundled preset name, then apply `a.b=value` overrides."""
    raw: dict[str, Any] = {}
    if source is not None:
        raw = _read_yaml(source)
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r}: expected key=value, e.g. train.lr=1e-4")
        _set_nested(raw, key.strip(), yaml.safe_load(text) if text.strip() else None)
    cfg = from_dict(Config, raw, "")
    check_ranges(cfg)
    return cfg


# (section, key, lowest allowed value, whether the lowest value itself is allowed)
RANGES = (
    ("train", "epochs", 1, True),
    ("train", "batch_size", 1, True),
    ("train", "eval_batch_size", 1, True),
    ("train", "lr", 0.0, False),
    ("train", "weight_decay", 0.0, True),
    ("train", "warmup_steps", 0, True),
    ("train", "grad_clip", 0.0, True),
    ("train", "log_every", 1, True),
    ("train", "save_every_steps", 0, True),
    ("train", "max_steps", 1, True),
    ("model", "max_frames", 1, True),
    ("model", "text_max_length", 2, True),
    ("model", "text_layers", 1, True),
    ("model", "pose_width", 1, True),
    ("model", "pose_layers", 1, True),
    ("model", "pose_heads", 1, True),
    ("model", "pose_ffn", 1, True),
    ("model", "dropout", 0.0, True),
    ("model", "projection_dim", 1, True),
    ("pose", "fps", 0.0, False),
    ("data", "workers", 0, True),
    ("data", "bucket_size", 0, True),
)


def check_ranges(cfg: Config) -> None:
    """Refuse values that would make a run do nothing or fail hours later (0 epochs, lr 0)."""
    for section, key, lowest, inclusive in RANGES:
        value = getattr(getattr(cfg, section), key)
        if value is None:
            continue
        if value < lowest or (value == lowest and not inclusive):
            bound = f">= {lowest}" if inclusive else f"> {lowest}"
            raise ConfigError(f"config key {section}.{key}: {value!r} must be {bound}")


def to_dict(obj: Any) -> Any:
    """A config as plain YAML/JSON-friendly data (tuples become lists)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple):
        return [to_dict(v) for v in obj]
    return obj


def from_dict(cls: type, data: Any, where: str) -> Any:
    """Build dataclass `cls` from `data`, naming the dotted key of any unknown or mistyped entry."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(
            f"unknown config key '{prefix}{unknown[0]}' (known: {', '.join(sorted(names))})"
        )
    values = {}
    for name, value in data.items():
        key = f"{where}.{name}" if where else name
        values[name] = _coerce(hints[name], value, key)
    return cls(**values)


def _coerce(hint: Any, value: Any, key: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, key)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(arg, value, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0])
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"config key {key}: {value!r} is not one of {list(args)}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple) or len(value) != len(args):
            raise ConfigError(f"config key {key}: expected a list of {len(args)} values")
        return tuple(
            _coerce(a, v, f"{key}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):
        # YAML 1.1 reads "1e-3" (no dot) as a string; accept it as the number it means.
        try:
            return float(value)
        except ValueError:
            pass
    if hint in (int, float, str, bool) and type(value) is hint:
        return value
    raise ConfigError(
        f"config key {key}: expected {getattr(hint, '__name__', hint)}, "
        f"got {type(value).__name__} {value!r}"
    )


def _read_yaml(source: str | Path) -> dict[str, Any]:
    path = Path(source)
    if not path.exists() and str(source) in preset_names():
        text = resources.files(PRESET_PACKAGE).joinpath(f"{source}.yaml").read_text()
    elif path.is_file():
        text = path.read_text()
    else:
        raise ConfigError(
            f"config {source}: no such file or preset (presets: {', '.join(preset_names())})"
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config {source}: not valid YAML ({exc.__class__.__name__})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config {source}: the top level must be a mapping of sections")
    return data


def _set_nested(raw: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = raw
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override {dotted}: {part} is not a section")
        node = child
    node[parts[-1]] = value
