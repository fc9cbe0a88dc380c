"""Names of the original SignCLIP checkpoints' tensors and the paper-mode parameters they become.

The original (a VideoCLIP fork on fairseq) keeps its model under `mmmodel.`:

| original key pattern | paper-mode parameter |
|---|---|
| `mmmodel.video_encoder.videomlp.linear1.{weight,bias}` | `pose_encoder.frames.linear1.*` |
| `mmmodel.video_encoder.videomlp.LayerNorm.{weight,bias}` | `pose_encoder.frames.layer_norm.*` |
| `mmmodel.video_encoder.videomlp.linear2.{weight,bias}` | `pose_encoder.frames.linear2.*` |
| `mmmodel.video_encoder.bert.embeddings.*` | `pose_encoder.bert.embeddings.*` |
| `mmmodel.video_encoder.bert.encoder.layer.N.*` | `pose_encoder.bert.encoder.layer.N.*` |
| `mmmodel.text_encoder.embeddings.*` | `text_encoder.model.embeddings.*` |
| `mmmodel.text_encoder.encoder.layer.N.*` | `text_encoder.model.encoder.layer.N.*` |
| `mmmodel.video_projection.linear.weight` | `pose_projection.weight` |
| `mmmodel.text_projection.linear.weight` | `text_projection.weight` |

Dropped, because the original's forward pass never reads them: both BERT poolers
(`*.pooler.dense.*`), the position-id buffers older transformers versions stored
(`*.embeddings.position_ids`, `*.embeddings.token_type_ids`) and VideoCLIP's unused segment
embeddings (`mmmodel.video_encoder.bert.embeddings.seg_embeddings.weight`).
Any other key is unexpected. `log_logit_scale` is not in the original: it comes from the preset
(the original compares raw dot products, a fixed scale of 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VIDEO = r"mmmodel\.video_encoder\."
_TEXT = r"mmmodel\.text_encoder\."
_BERTS = r"(?:mmmodel\.video_encoder\.bert|mmmodel\.text_encoder)"
_PARAM = r"(weight|bias)"

# (pattern, project key template); checked in order, the first match wins.
_RENAMES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (rf"{_VIDEO}videomlp\.linear1\.{_PARAM}", r"pose_encoder.frames.linear1.\1"),
        (rf"{_VIDEO}videomlp\.LayerNorm\.{_PARAM}", r"pose_encoder.frames.layer_norm.\1"),
        (rf"{_VIDEO}videomlp\.linear2\.{_PARAM}", r"pose_encoder.frames.linear2.\1"),
        (rf"{_VIDEO}bert\.((?:embeddings|encoder)\..+)", r"pose_encoder.bert.\1"),
        (rf"{_TEXT}((?:embeddings|encoder)\..+)", r"text_encoder.model.\1"),
        (r"mmmodel\.video_projection\.linear\.weight", "pose_projection.weight"),
        (r"mmmodel\.text_projection\.linear\.weight", "text_projection.weight"),
    )
)

_DROPPED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), reason)
    for pattern, reason in (
        (rf"{_BERTS}\.pooler\..+", "BERT pooler (never used)"),
        (
            rf"{_BERTS}\.embeddings\.(?:position_ids|token_type_ids)",
            "id buffer (recomputed)",
        ),
        (rf"{_VIDEO}bert\.embeddings\.seg_embeddings\.weight", "segment embeddings (never used)"),
    )
)

# Parameters of the project that the original has no tensor for; the preset sets them.
CONFIG_OWNED = frozenset({"log_logit_scale"})

POSE_LAYER = re.compile(rf"{_VIDEO}bert\.encoder\.layer\.(\d+)\.")
TEXT_LAYER = re.compile(rf"{_TEXT}encoder\.layer\.(\d+)\.")


@dataclass(frozen=True)
class KeyPlan:
    """Where each original tensor goes: renamed, dropped (with why) or unknown."""

    renamed: dict[str, str]  # original key -> project key
    dropped: dict[str, str]  # original key -> reason
    unknown: list[str]  # original keys that no rule covers, sorted


def plan_keys(original_keys: list[str]) -> KeyPlan:
    renamed: dict[str, str] = {}
    dropped: dict[str, str] = {}
    unknown: list[str] = []
    for key in original_keys:
        # Drops first: the position-id buffers also match the broad embeddings rename.
        reason = drop_reason(key)
        target = project_key(key) if reason is None else None
        if reason is not None:
            dropped[key] = reason
        elif target is not None:
            renamed[key] = target
        else:
            unknown.append(key)
    return KeyPlan(renamed, dropped, sorted(unknown))


def project_key(original: str) -> str | None:
    """The paper-mode parameter an original key becomes, or None when no rename covers it."""
    for pattern, template in _RENAMES:
        match = pattern.fullmatch(original)
        if match:
            return match.expand(template)
    return None


def drop_reason(original: str) -> str | None:
    for pattern, reason in _DROPPED:
        if pattern.fullmatch(original):
            return reason
    return None


def count_layers(keys: list[str], pattern: re.Pattern[str]) -> int:
    """Layers of one tower: 1 + the highest layer index its keys name (0 when none)."""
    indices = [int(m.group(1)) for key in keys if (m := pattern.match(key))]
    return max(indices) + 1 if indices else 0
