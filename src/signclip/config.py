"""Frozen configuration dataclasses, YAML presets and `--set a.b=value` overrides.

Every component receives only its own section. Unknown keys, wrong types and out-of-range values
are errors that name the dotted key, so a typo in a config file fails at start-up rather than
silently training the default. Each section checks itself when it is built, so a config read from
YAML, changed with `--set` or constructed in code passes the same checks.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from signclip.errors import ConfigError


@dataclass(frozen=True)
class _Range:
    """The values a numeric key accepts; `None` (an unset optional key) is always accepted."""

    lowest: float
    inclusive: bool = True
    highest: float | None = None

    def problem(self, value: float) -> str | None:
        # Written so that NaN fails every comparison and is refused.
        if not (value >= self.lowest if self.inclusive else value > self.lowest):
            return f"must be {'>=' if self.inclusive else '>'} {self.lowest}"
        if self.highest is not None and not value <= self.highest:
            return f"must be <= {self.highest}"
        return None


def _at_least(lowest: float) -> dict[str, _Range]:
    return {"range": _Range(lowest)}


def _above(lowest: float) -> dict[str, _Range]:
    return {"range": _Range(lowest, inclusive=False)}


def _between(lowest: float, highest: float) -> dict[str, _Range]:
    return {"range": _Range(lowest, highest=highest)}


@dataclass(frozen=True)
class PoseConfig:
    """How a `.pose` file becomes features [T, F]."""

    # The point set (pose/components.py): "hands" takes both hands and no body, so that
    # hands-only recordings (MediaPipe Hands) and holistic ones give the same features.
    preset: Literal["reduced-face", "sign-vq", "dominant-hand", "openpose-body-hands", "hands"] = (
        "reduced-face"
    )
    # Resample every clip to this frame rate (None keeps the recorded rate, as the paper did).
    fps: float | None = field(default=None, metadata=_above(0.0))
    # Per-point, per-axis z-score with statistics of the training split (applied inside the model,
    # after augmentation, so augmentations act on geometric coordinates).
    zscore: bool = False
    # Depth (see pose/convention.py). Recordings store MediaPipe's z unscaled while x and y are
    # pixels, so after normalisation z is almost 0: "raw" keeps it so (the paper), "pixels" puts
    # it on x's scale (times the frame width), "drop" leaves it out (F = K * 2) for datasets whose
    # depth is unreliable.
    depth: Literal["raw", "pixels", "drop"] = "raw"

    def __post_init__(self) -> None:
        _validate(self, "pose")


@dataclass(frozen=True)
class AugmentConfig:
    """Training-only augmentations on batched tensors; 0 switches one off."""

    # temporal: speed ratio ~ N(1, speed_std), linear re-interpolation
    speed_std: float = field(default=0.0, metadata=_at_least(0.0))
    # 2D: rotation (rad), x-shear and y-scale each ~ N(0, affine_std)
    affine_std: float = field(default=0.0, metadata=_at_least(0.0))
    # probability of mirroring the signer (left/right swapped)
    flip_p: float = field(default=0.0, metadata=_between(0.0, 1.0))
    # Gaussian noise on every real coordinate
    noise_std: float = field(default=0.0, metadata=_at_least(0.0))

    def __post_init__(self) -> None:
        _validate(self, "augment")


@dataclass(frozen=True)
class ModelConfig:
    """Both towers and the similarity. `arch: paper` is the published E7.2 layout."""

    arch: Literal["default", "paper"] = "default"
    # Hugging Face name or local folder of the text encoder.
    text_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    # False builds the text encoder from its config with random weights (tests, benchmarks).
    text_pretrained: bool = True
    # At least the two special tokens that frame every text.
    text_max_length: int = field(default=64, metadata=_at_least(2))
    # Keep only the first N transformer layers of the text encoder (None: all of them).
    text_layers: int | None = field(default=None, metadata=_at_least(1))
    # Lock the text tower (no gradient, no dropout): the pose tower learns to land in a fixed
    # pretrained text space. Much cheaper per step; a text projection, if any, still trains.
    freeze_text: bool = False
    # "special": language tags like <en> <ase> become added tokens; "text": word-pieces (paper).
    language_tags: Literal["special", "text"] = "special"
    # Frames the pose transformer attends to at once (its context).
    max_frames: int = field(default=256, metadata=_at_least(1))
    pose_width: int = field(default=384, metadata=_at_least(1))
    pose_layers: int = field(default=4, metadata=_at_least(1))
    pose_heads: int = field(default=6, metadata=_at_least(1))
    pose_ffn: int = field(default=1536, metadata=_at_least(1))
    dropout: float = field(default=0.1, metadata=_between(0.0, 1.0))
    # Paper: the pose transformer starts as a copy of the text transformer (same shape required).
    pose_init_from_text: bool = False
    # Project both towers to this many dimensions (None: the text width, no text projection).
    projection_dim: int | None = field(default=None, metadata=_at_least(1))
    # Default: cosine similarity with a learnable temperature. Paper: raw dot product, scale 1.
    normalize: bool = True
    logit_scale_init: float = 1 / 0.07
    learnable_scale: bool = True
    logit_scale_max: float = 100.0

    def __post_init__(self) -> None:
        _validate(self, "model")


@dataclass(frozen=True)
class LossConfig:
    reduction: Literal["mean", "sum"] = "mean"  # of the two directions; the paper summed them
    # "mask": identical texts in a batch are not negatives of each other;
    # "negatives": treat them as negatives anyway (the original's behaviour).
    duplicate_texts: Literal["mask", "negatives"] = "mask"
    # Weight of an added pose->text cross-entropy over the prompts of every training text, not
    # only the batch's (training.text_bank); 0 leaves the paper's in-batch loss alone. It helps
    # where a batch holds few of many classes, as with a few hundred glosses.
    text_bank_weight: float = field(default=0.0, metadata=_at_least(0.0))

    def __post_init__(self) -> None:
        _validate(self, "loss")


@dataclass(frozen=True)
class DataConfig:
    manifest: str = ""
    # Feature cache root; None uses $SIGNCLIP_CACHE or ~/.cache/signclip.
    cache_dir: str | None = None
    train_split: str = "train"
    # Scored after every epoch; its retrieval score picks checkpoints/best (see README).
    val_split: str = "dev"
    # How a clip's text is put to the text tower; saved in every model folder of the run, so
    # that all who use the model prompt it the same way.
    prompt: str = "<{spoken_language}> <{sign_language}> {text}"
    # Fail the run on the first unusable clip instead of reporting and skipping it.
    strict: bool = False
    # Processes that build the feature cache (0: all cores).
    workers: int = field(default=0, metadata=_at_least(0))
    # Group clips of similar length: each run of bucket_size batches is sorted by length before
    # it is cut into batches (0: plain shuffling). Less padding, slightly less varied batches.
    bucket_size: int = field(default=0, metadata=_at_least(0))

    def __post_init__(self) -> None:
        _validate(self, "data")
        try:
            self.prompt.format(text="x", spoken_language="en", sign_language="ase")
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"config key data.prompt: {self.prompt!r} may use only {{text}}, "
                f"{{spoken_language}} and {{sign_language}} ({exc.__class__.__name__}: {exc})"
            ) from None


@dataclass(frozen=True)
class TrainConfig:
    out_dir: str = "runs/default"
    epochs: int = field(default=10, metadata=_at_least(1))
    batch_size: int = field(default=64, metadata=_at_least(1))
    # Clips embedded at once when the dev split is scored; the score does not depend on it.
    eval_batch_size: int = field(default=256, metadata=_at_least(1))
    # A learning rate of 0 would run for hours and learn nothing.
    lr: float = field(default=1e-4, metadata=_above(0.0))
    # The text tower's own learning rate (None: lr). A pretrained text model fine-tuned at a
    # rate meant for a fresh pose tower forgets what it knew.
    text_lr: float | None = field(default=None, metadata=_above(0.0))
    weight_decay: float = field(default=0.01, metadata=_at_least(0.0))
    betas: tuple[float, float] = (0.9, 0.98)
    warmup_steps: int = field(default=100, metadata=_at_least(0))
    schedule: Literal["constant", "cosine"] = "cosine"
    grad_clip: float = field(default=2.0, metadata=_at_least(0.0))
    # "auto": bf16 autocast on CUDA when supported, fp32 on CPU.
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    device: str = "auto"
    seed: int = 0
    log_every: int = field(default=10, metadata=_at_least(1))
    # Also checkpoint every N steps inside an epoch (0: at epoch ends only).
    save_every_steps: int = field(default=0, metadata=_at_least(0))
    # Stop after this many optimiser steps in total (None: run all epochs); the learning-rate
    # schedule then ends at this step.
    max_steps: int | None = field(default=None, metadata=_at_least(1))
    progress: bool = True
    # Start from the weights of this saved model folder instead of a fresh model (fine-tuning);
    # the model and pose sections must then be the folder's own.
    init_from: str | None = None

    def __post_init__(self) -> None:
        _validate(self, "train")


@dataclass(frozen=True)
class Config:
    pose: PoseConfig = field(default_factory=PoseConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        # Sections given as mappings become their dataclasses here, naming their own keys.
        _validate(self, "")


PRESET_PACKAGE = "signclip.presets"
# The spellings YAML reads as null: an optional text key given one of them is unset.
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


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
        key = key.strip()
        _set_nested(raw, key, _override_value(key, text))
    return from_dict(Config, raw, "")


def to_dict(obj: Any) -> Any:
    """A config as plain YAML/JSON-friendly data (tuples become lists)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple):
        return [to_dict(v) for v in obj]
    return obj


def from_dict(cls: type, data: Any, where: str) -> Any:
    """Build dataclass `cls` from `data`, naming the dotted key of any unknown or mistyped entry.

    `where` is the dotted name of `cls` in a whole config ("" for `Config` itself)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a mapping, got {type(data).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(str(name) for name in data if name not in names)
    if unknown:
        raise _unknown_key(where, unknown[0], names)
    return cls(**data)


def _unknown_key(where: str, name: str, names: list[str]) -> ConfigError:
    prefix = f"{where}." if where else ""
    return ConfigError(f"unknown config key '{prefix}{name}' (known: {', '.join(sorted(names))})")


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    # The annotations are strings (postponed evaluation); resolving them once per class keeps
    # building a config cheap.
    return typing.get_type_hints(cls)


def _validate(section: Any, where: str) -> None:
    """Coerce every field of a frozen config dataclass to its declared type and check its range."""
    hints = _type_hints(type(section))
    for f in dataclasses.fields(section):
        key = f"{where}.{f.name}" if where else f.name
        value = _coerce(hints[f.name], getattr(section, f.name), key)
        bounds = f.metadata.get("range")
        problem = bounds.problem(value) if bounds is not None and value is not None else None
        if problem:
            raise ConfigError(f"config key {key}: {value!r} {problem}")
        # A frozen dataclass refuses plain assignment; the coerced value (a float for an int,
        # a tuple for a list) is what every later reader should see.
        object.__setattr__(section, f.name, value)


def _coerce(hint: Any, value: Any, key: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return value if isinstance(value, hint) else from_dict(hint, value, key)
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
    return _coerce_scalar(hint, value, key)


def _coerce_scalar(hint: Any, value: Any, key: str) -> Any:
    # bool is a subclass of int: `epochs: true` must not train for one epoch.
    if isinstance(value, bool):
        if hint is bool:
            return value
    elif hint is float and isinstance(value, int | float | str):
        # YAML 1.1 reads "1e-3" (no dot) as a string; accept it as the number it means.
        try:
            return float(value)
        except ValueError:
            pass
    elif hint in (int, str) and isinstance(value, hint):
        return value
    raise ConfigError(
        f"config key {key}: expected {getattr(hint, '__name__', hint)}, "
        f"got {type(value).__name__} {value!r}"
    )


def _override_value(key: str, text: str) -> Any:
    """The value of `--set key=text`, read as the key's declared type asks.

    A text key takes the text as written: YAML would turn "Sign {text}." into a mapping, "no"
    into False and "2024" into a number."""
    hint = _declared_type(key)
    union = typing.get_origin(hint) in (Union, types.UnionType)
    kinds = [a for a in typing.get_args(hint) if a is not type(None)] if union else [hint]
    if all(_is_text(kind) for kind in kinds):
        optional = union and type(None) in typing.get_args(hint)
        return None if optional and text.strip() in _NULLS else text
    if not text.strip():
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"override {key}={text}: not a valid value ({exc.__class__.__name__})"
        ) from exc


def _is_text(hint: Any) -> bool:
    if typing.get_origin(hint) is Literal:
        return all(isinstance(a, str) for a in typing.get_args(hint))
    return hint is str


def _declared_type(dotted: str) -> Any:
    """The annotation of a dotted key such as "train.lr"; unknown keys are refused by name."""
    hint: Any = Config
    walked: list[str] = []
    for part in dotted.split("."):
        if not dataclasses.is_dataclass(hint):
            raise ConfigError(f"override {dotted}: {'.'.join(walked)} is not a section")
        hints = _type_hints(hint)
        if part not in hints:
            raise _unknown_key(".".join(walked), part, list(hints))
        hint = hints[part]
        walked.append(part)
    return hint


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
