"""Convert an original SignCLIP checkpoint (fairseq, e.g. the released E7.2) into a model folder.

The conversion is strict: every tensor of the checkpoint is renamed to a paper-mode parameter or
dropped for a stated reason, every parameter of the paper-mode model receives a tensor, and shapes
agree; otherwise a one-line `OriginalCheckpointError` names the first offending keys and their
count. The architecture comes from the checkpoint, checked against the preset:

- features per frame (the frame projection's input) must be the pose preset's (609 for
  reduced-face), the width and feed-forward size the text model's;
- pose and text layer counts are counted from the keys (the 6-layer baseline converts too);
- `max_frames` is the checkpoint's `max_video_len` setting when the file states it, else the
  preset's; the pose tower's position table must hold `max_frames + 2` positions;
- a projection (`mmmodel.{video,text}_projection`) sets `projection_dim`.

Key mapping (original → project), also in docs/original-checkpoints.md:

| original key pattern | paper-mode parameter |
|---|---|
| `mmmodel.video_encoder.videomlp.{linear1,linear2}.*` | `pose_encoder.frames.{linear1,linear2}.*` |
| `mmmodel.video_encoder.videomlp.LayerNorm.*` | `pose_encoder.frames.layer_norm.*` |
| `mmmodel.video_encoder.bert.{embeddings,encoder}.*` | `pose_encoder.bert.{embeddings,encoder}.*` |
| `mmmodel.text_encoder.{embeddings,encoder}.*` | `text_encoder.model.{embeddings,encoder}.*` |
| `mmmodel.{video,text}_projection.linear.weight` | `{pose,text}_projection.weight` |
| `*.pooler.*`, `*.embeddings.position_ids`, `seg_embeddings` | dropped (never used) |
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import PretrainedConfig

from signclip.config import Config, ModelConfig, PoseConfig, load_config
from signclip.errors import ConfigError
from signclip.models.factory import build_pose_encoder
from signclip.models.io import CONFIG_FILE, save_model
from signclip.models.original_keys import (
    CONFIG_OWNED,
    POSE_LAYER,
    TEXT_LAYER,
    KeyPlan,
    count_layers,
    plan_keys,
)
from signclip.models.original_reader import (
    OriginalCheckpoint,
    OriginalCheckpointError,
    read_original,
)
from signclip.models.signclip import SignCLIP
from signclip.models.text_encoder import (
    TextEncoder,
    first_line,
    load_text_config,
    resolve_text_model,
)
from signclip.pose.components import POINT_SET_NAMES
from signclip.pose.features import feature_layout
from signclip.text.tokenizer import TextTokenizer

REPORT_FILE = "original_checkpoint.json"

_FRAMES_IN = "mmmodel.video_encoder.videomlp.linear1.weight"
_POSE_POSITIONS = "mmmodel.video_encoder.bert.embeddings.position_embeddings.weight"
_TEXT_WORDS = "mmmodel.text_encoder.embeddings.word_embeddings.weight"
_TEXT_FFN = "mmmodel.text_encoder.encoder.layer.0.intermediate.dense.weight"
_PROJECTION = "mmmodel.text_projection.linear.weight"
# The original's text processor reserves 3 of its 64 positions, so a text keeps [CLS], at most 61
# word-pieces and [SEP]: 63 tokens. Set here as well as in the paper presets: the checkpoint
# fixes where texts are cut, whichever preset is named.
ORIGINAL_TEXT_LENGTH = 63


@dataclass(frozen=True)
class OriginalShape:
    """What the checkpoint's tensors say about the architecture."""

    num_features: int
    width: int
    ffn: int
    vocab: int
    pose_layers: int
    text_layers: int
    pose_positions: int
    projection_dim: int | None


@dataclass(frozen=True)
class Conversion:
    folder: Path
    shape: OriginalShape
    max_frames: int
    max_frames_source: str  # "checkpoint" or "preset"
    renamed: int
    dropped: dict[str, int]  # reason -> count
    stand_ins: list[str]


def convert_original(
    checkpoint: str | Path,
    out: str | Path,
    text_model: str = "bert-base-cased",
    preset: str = "paper-e7.2",
    overwrite: bool = False,
) -> Conversion:
    """Read `checkpoint`, build the paper-mode model it describes, save it to `out`."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OriginalCheckpointError(f"{out}: is a file, not a folder for the model")
    if (out / CONFIG_FILE).exists() and not overwrite:
        raise OriginalCheckpointError(f"{out}: already holds a model (pass --force to replace it)")
    original = read_original(checkpoint)
    plan = plan_keys(list(original.state))
    shape = infer_shape(original.state, checkpoint)
    cfg = _checked_preset(preset, shape)
    text_config = _text_config(text_model, shape)
    max_frames, source = _max_frames(original, cfg.model, shape)
    model_cfg = dataclasses.replace(
        cfg.model,
        text_model=text_model,
        text_layers=shape.text_layers,
        pose_layers=shape.pose_layers,
        pose_width=shape.width,
        pose_heads=text_config.num_attention_heads,
        pose_ffn=shape.ffn,
        max_frames=max_frames,
        projection_dim=shape.projection_dim,
        text_max_length=ORIGINAL_TEXT_LENGTH,
        pose_init_from_text=False,  # every weight comes from the checkpoint
    )
    tokenizer = _tokenizer(text_model, model_cfg, shape.vocab)
    model = _build(model_cfg, cfg.pose, shape.num_features, text_config, tokenizer)
    _load_strictly(model, original.state, plan, checkpoint)
    # The preset's template is the original's: `<en> <ase> house` (E7.2), FingerCLIP's sentence.
    save_model(out, model.eval(), tokenizer, prompt=cfg.data.prompt)
    conversion = Conversion(
        out,
        shape,
        max_frames,
        source,
        len(plan.renamed),
        _count_reasons(plan),
        original.stand_ins,
    )
    _write_report(conversion, Path(checkpoint), original)
    return conversion


def infer_shape(state: dict[str, torch.Tensor], where: str | Path) -> OriginalShape:
    """Sizes read off the tensors; a missing anchor tensor is reported by name."""

    def tensor(key: str) -> torch.Tensor:
        if key not in state:
            raise OriginalCheckpointError(
                f"{where}: missing key {key} (not an original SignCLIP checkpoint?)"
            )
        return state[key]

    frames_in = tensor(_FRAMES_IN)
    words = tensor(_TEXT_WORDS)
    projection = state.get(_PROJECTION)
    keys = list(state)
    return OriginalShape(
        num_features=int(frames_in.shape[1]),
        width=int(frames_in.shape[0]),
        ffn=int(tensor(_TEXT_FFN).shape[0]),
        vocab=int(words.shape[0]),
        pose_layers=count_layers(keys, POSE_LAYER),
        text_layers=count_layers(keys, TEXT_LAYER),
        pose_positions=int(tensor(_POSE_POSITIONS).shape[0]),
        projection_dim=None if projection is None else int(projection.shape[0]),
    )


def _checked_preset(preset: str, shape: OriginalShape) -> Config:
    cfg = load_config(preset)
    if cfg.model.arch != "paper":
        raise OriginalCheckpointError(
            f"preset {preset}: model.arch is {cfg.model.arch!r}; original checkpoints need a "
            "paper-mode preset such as paper-e7.2"
        )
    if cfg.pose.zscore:
        raise OriginalCheckpointError(
            f"preset {preset}: pose.zscore needs statistics that original checkpoints do not carry"
        )
    expected = feature_layout(cfg.pose).num_features
    if shape.num_features != expected:
        fitting = [
            name
            for name in POINT_SET_NAMES
            if feature_layout(PoseConfig(preset=name)).num_features == shape.num_features
        ]
        hint = f"; pose preset {' or '.join(fitting)} has that many" if fitting else ""
        raise OriginalCheckpointError(
            f"{_FRAMES_IN}: the checkpoint takes {shape.num_features} features per frame, "
            f"preset {preset} (pose.preset {cfg.pose.preset}) makes {expected}{hint}"
        )
    if shape.pose_layers == 0 or shape.text_layers == 0:
        raise OriginalCheckpointError(
            f"checkpoint has {shape.pose_layers} pose and {shape.text_layers} text layers"
        )
    return cfg


def _text_config(text_model: str, shape: OriginalShape) -> PretrainedConfig:
    try:
        config = load_text_config(ModelConfig(text_model=text_model, text_pretrained=False))
    except ConfigError as exc:
        raise OriginalCheckpointError(f"--text-model {text_model}: {exc}") from exc
    stated = {
        "hidden_size": shape.width,
        "intermediate_size": shape.ffn,
        "vocab_size": shape.vocab,
    }
    for name, found in stated.items():
        value = getattr(config, name, None)
        if value != found:
            raise OriginalCheckpointError(
                f"--text-model {text_model}: {name} {value}, the checkpoint's text tower has "
                f"{found} (pass the text model the checkpoint was trained with)"
            )
    config.num_hidden_layers = shape.text_layers
    return config


def _max_frames(
    original: OriginalCheckpoint, model_cfg: ModelConfig, shape: OriginalShape
) -> tuple[int, str]:
    stated = original.settings.get("max_video_len")
    frames, source = (stated, "checkpoint") if isinstance(stated, int) else (None, "preset")
    if frames is None:
        frames = model_cfg.max_frames
    if not 1 <= frames <= shape.pose_positions - 2:
        raise OriginalCheckpointError(
            f"max_frames {frames} (from the {source}): the pose tower's "
            f"{shape.pose_positions} positions hold [CLS] + at most "
            f"{shape.pose_positions - 2} frames + [SEP]"
        )
    return frames, source


def _tokenizer(text_model: str, model_cfg: ModelConfig, vocab: int) -> TextTokenizer:
    try:
        tokenizer = TextTokenizer.from_pretrained(
            resolve_text_model(text_model), model_cfg.text_max_length, model_cfg.language_tags
        )
    except (OSError, ValueError) as exc:
        raise OriginalCheckpointError(
            f"--text-model {text_model}: cannot load its tokenizer ({first_line(exc)})"
        ) from exc
    if len(tokenizer) > vocab:
        raise OriginalCheckpointError(
            f"--text-model {text_model}: its tokenizer has {len(tokenizer)} tokens, the "
            f"checkpoint's embeddings only {vocab}"
        )
    return tokenizer


def _build(
    model_cfg: ModelConfig,
    pose_cfg: PoseConfig,
    num_features: int,
    text_config: PretrainedConfig,
    tokenizer: TextTokenizer,
) -> SignCLIP:
    # Built from configs alone, as load_model does: nothing is downloaded, weights follow.
    text_encoder = TextEncoder.from_config(text_config, model_cfg.arch)
    try:
        pose_encoder = build_pose_encoder(model_cfg, num_features, text_config, tokenizer)
        return SignCLIP(model_cfg, pose_cfg, num_features, pose_encoder, text_encoder)
    except ConfigError as exc:
        raise OriginalCheckpointError(f"cannot build the paper-mode model: {exc}") from exc


def _load_strictly(
    model: SignCLIP, state: dict[str, torch.Tensor], plan: KeyPlan, where: str | Path
) -> None:
    expected = model.state_dict()
    by_target = {target: original for original, target in plan.renamed.items()}
    unexpected = plan.unknown + sorted(o for o, t in plan.renamed.items() if t not in expected)
    missing = sorted(set(expected) - set(by_target) - CONFIG_OWNED)
    wrong = sorted(
        original
        for target, original in by_target.items()
        if target in expected and expected[target].shape != state[original].shape
    )
    problems = []
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected key(s), first {', '.join(unexpected[:3])}")
    if missing:
        names = ", ".join(_original_name(k) for k in missing[:3])
        problems.append(f"{len(missing)} missing key(s), first {names}")
    if wrong:
        key = wrong[0]
        target = plan.renamed[key]
        problems.append(
            f"{len(wrong)} key(s) of the wrong shape, first {key}: "
            f"{list(state[key].shape)} where the model needs {list(expected[target].shape)}"
        )
    if problems:
        raise OriginalCheckpointError(f"{where}: {'; '.join(problems)}")
    weights = {target: state[original] for target, original in by_target.items()}
    weights.update({key: expected[key] for key in CONFIG_OWNED if key in expected})
    model.load_state_dict(weights, strict=True)


def _original_name(project_key: str) -> str:
    """The original key a missing parameter would have come from (for the error message)."""
    renames = {
        "pose_encoder.frames.layer_norm.": "mmmodel.video_encoder.videomlp.LayerNorm.",
        "pose_encoder.frames.": "mmmodel.video_encoder.videomlp.",
        "pose_encoder.bert.": "mmmodel.video_encoder.bert.",
        "text_encoder.model.": "mmmodel.text_encoder.",
        "pose_projection.": "mmmodel.video_projection.linear.",
        "text_projection.": "mmmodel.text_projection.linear.",
    }
    for prefix, original in renames.items():
        if project_key.startswith(prefix):
            return original + project_key[len(prefix) :]
    return project_key


def _count_reasons(plan: KeyPlan) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reason in plan.dropped.values():
        counts[reason] = counts.get(reason, 0) + 1
    return counts


def _write_report(conversion: Conversion, checkpoint: Path, original: OriginalCheckpoint) -> None:
    # Where the weights came from travels with them; load_model ignores this file.
    digest = hashlib.sha256()
    with checkpoint.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    report = {
        "source": str(checkpoint),
        "sha256": digest.hexdigest(),
        "shape": dataclasses.asdict(conversion.shape),
        "max_frames": conversion.max_frames,
        "max_frames_from": conversion.max_frames_source,
        "renamed": conversion.renamed,
        "dropped": conversion.dropped,
        "settings_found": original.settings,
        "stand_ins": conversion.stand_ins,
    }
    (conversion.folder / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n")
