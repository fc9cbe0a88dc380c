"""The whole generated dataset: which clips exist, their manifest rows, each clip's Pose.

Clips: every (concept, sign language) sign is made by `clips_per_sign` different signers, the
first always a training signer (so every sign can be learnt), the others drawn from all signers
(so dev and test hold unseen signers making known signs). A clip's split is its signer's split.

Everything is a pure function of the spec and a clip's (concept, language, signer): the random
stream of a clip is seeded from those keys, so files are byte-identical for any number of
workers, and growing a dataset (more concepts, languages or signers) leaves existing clips as
they were.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from pose_format import Pose

from signclip.data.manifest import ClipRecord
from signclip.errors import ConfigError
from signclip.synth import lexicon, writer
from signclip.synth.animate import Clip, animate
from signclip.synth.signer import Signer, assign_splits, sample_signer, signer_name

SPOKEN_LANGUAGE = "en"
POSE_FOLDER = "poses"
# Seed-stream tags of the decisions made here (lexicon's tags are 1 to 4).
TAG_SIGNER, TAG_SPLIT, TAG_PLAN, TAG_CLIP = 11, 12, 13, 14


@dataclass(frozen=True)
class SynthSpec:
    concepts: int = 50
    languages: int = 3
    signers: int = 10
    seed: int = 0
    iconicity: float = 0.3  # share of concepts whose form all languages share
    clips_per_sign: int = 3  # signers per (concept, language)
    minimal_pairs: float = 0.1  # share of forms made as a near-copy of another concept's

    def __post_init__(self) -> None:
        checks = {
            "concepts": self.concepts >= 1,
            "languages": 1 <= self.languages <= lexicon.MAX_LANGUAGES,
            "signers": self.signers >= 1,
            "iconicity": 0.0 <= self.iconicity <= 1.0,
            "clips_per_sign": self.clips_per_sign >= 1,
            "minimal_pairs": 0.0 <= self.minimal_pairs <= 1.0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ConfigError(f"synth: {name}={getattr(self, name)!r} is out of range")


@dataclass(frozen=True)
class ClipPlan:
    clip_id: str
    concept: int
    language: int
    signer: int
    split: str

    @property
    def relative_path(self) -> str:
        return f"{POSE_FOLDER}/{lexicon.language_code(self.language)}/{self.clip_id}.pose"


def plan_clips(spec: SynthSpec) -> list[ClipPlan]:
    """Every clip of the dataset, ordered by concept, language, signer."""
    splits = signer_splits(spec)
    train = [i for i, split in enumerate(splits) if split == "train"]
    per_sign = min(spec.clips_per_sign, spec.signers)
    digits = max(4, len(str(spec.concepts - 1)))
    plans = []
    for concept in range(spec.concepts):
        for language in range(spec.languages):
            rng = lexicon.stream(spec.seed, TAG_PLAN, concept, language)
            first = train[int(rng.integers(len(train)))]
            others = [s for s in rng.permutation(spec.signers).tolist() if s != first]
            code = lexicon.language_code(language)
            for signer in sorted([first, *others[: per_sign - 1]]):
                clip_id = f"{code}-{concept:0{digits}d}-{signer_name(signer)}"
                plans.append(ClipPlan(clip_id, concept, language, signer, splits[signer]))
    return plans


def signer_splits(spec: SynthSpec) -> list[str]:
    return assign_splits(spec.signers, lexicon.stream(spec.seed, TAG_SPLIT))


@functools.lru_cache(maxsize=4096)
def signer(seed: int, index: int) -> Signer:
    return sample_signer(index, lexicon.stream(seed, TAG_SIGNER, index))


def make_clip(spec: SynthSpec, plan: ClipPlan) -> Clip:
    form = lexicon.sign_form(
        spec.seed, plan.concept, plan.language, spec.iconicity, spec.minimal_pairs
    )
    rng = lexicon.stream(spec.seed, TAG_CLIP, plan.concept, plan.language, plan.signer)
    return animate(form, signer(spec.seed, plan.signer), rng)


def make_pose(spec: SynthSpec, plan: ClipPlan) -> Pose:
    return writer.to_pose(make_clip(spec, plan))


def manifest_records(spec: SynthSpec, folder: str | Path) -> list[ClipRecord]:
    """The manifest of the dataset as written under `folder` by `generate_dataset`."""
    return [record(plan, folder) for plan in plan_clips(spec)]


def record(plan: ClipPlan, folder: str | Path) -> ClipRecord:
    """The manifest row of a clip whose file is (or will be) under `folder`."""
    return ClipRecord(
        clip_id=plan.clip_id,
        pose_path=Path(folder).absolute() / plan.relative_path,
        text=lexicon.concept_word(plan.concept),
        spoken_language=SPOKEN_LANGUAGE,
        sign_language=lexicon.language_code(plan.language),
        split=plan.split,
        signer=signer_name(plan.signer),
    )
