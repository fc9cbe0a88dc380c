"""Isolated-sign recognition on frozen embeddings: zero-shot, few-shot, k-NN and linear probe.

The classes are the distinct texts (glosses) of the test split, or a given vocabulary. Each split
is embedded once from the feature cache, then every method scores each test clip against every
class and is measured the same way (`recognition_metrics`).

- zero-shot: a class is the embedding of its prompt (the mean over several templates). A clip is
  compared with prompts in its own languages: the languages of a clip are known, its gloss is
  what is predicted.
- few-shot (prototype) and k-NN: k support clips per class from the train split (`fewshot.py`).
- prompt+prototype: the sum of a clip's cosine to the class prompt and to the class's prototype
  (the normalised mean of its k support clips). The two views err differently, and a class
  without support clips keeps its prompt's score instead of dropping out.
- probe: logistic regression on the train split's clips of the test classes (`probe.py`).

Train clips of glosses that are not classes take no part. A class with no train clip cannot be
predicted by the few-shot, k-NN and probe methods: its clips count as misses (the result lists
such classes), while zero-shot and prompt+prototype still score it from its prompt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from tqdm import tqdm

from signclip.data.manifest import ClipRecord
from signclip.data.prepared import PreparedData
from signclip.errors import ConfigError, ManifestError
from signclip.evaluation.fewshot import (
    draw_support,
    knn_neighbours,
    knn_scores,
    prototype_cosines,
    prototype_scores,
    unit_rows,
)
from signclip.evaluation.probe import fit_linear_probe
from signclip.evaluation.recognition_metrics import classification_metrics
from signclip.inference import SignCLIPEncoder
from signclip.text.prompts import make_prompt

METHODS = ("zero-shot", "few-shot", "knn", "prompt+prototype", "probe")
DEFAULT_SHOTS = (1, 5, 10, 100)
# The paper's few-shot seed.
DEFAULT_SEED = 42
EMBED_CHUNK = 512


@dataclass(frozen=True)
class RecognitionOptions:
    train_split: str = "train"
    test_split: str = "test"
    # Zero-shot prompt templates, embeddings averaged; empty: the model folder's own template.
    templates: tuple[str, ...] = ()
    shots: tuple[int, ...] = DEFAULT_SHOTS
    seed: int = DEFAULT_SEED
    methods: tuple[str, ...] = METHODS
    # Inverse L2 strength of the probe (the paper's C = 1). Unit-length embeddings (cosine
    # models) need large weights to separate classes, so they may want a larger C.
    probe_c: float = 1.0
    # The classes to choose from; empty: the glosses of the test split. A fixed vocabulary (all
    # of a dataset's glosses) also scores the classes that no test clip shows.
    classes: tuple[str, ...] = ()
    # Refuse (rather than warn) when a signer appears in both splits.
    strict: bool = False
    progress: bool = True


def fill_template(template: str, gloss: str, spoken_language: str, sign_language: str) -> str:
    """A prompt for `gloss`; in templates {gloss} and {text} both name the gloss."""
    return make_prompt(template.replace("{gloss}", "{text}"), gloss, spoken_language, sign_language)


def signer_overlap(train: Sequence[ClipRecord], test: Sequence[ClipRecord]) -> dict:
    """Signers named in both splits and how many clips of each split they signed."""
    train_signers = {r.signer for r in train if r.signer}
    shared = sorted(train_signers & {r.signer for r in test if r.signer})
    named = set(shared)
    return {
        "signers_named": any(r.signer for r in (*train, *test)),
        "shared_signers": shared,
        "overlapping_test_clips": sum(r.signer in named for r in test),
        "overlapping_train_clips": sum(r.signer in named for r in train),
    }


def check_signers(overlap: dict, train_split: str, test_split: str, strict: bool) -> str | None:
    """A warning when the splits share signers (an error with `strict`); None when they do not."""
    if not overlap["shared_signers"]:
        return None
    shown = ", ".join(overlap["shared_signers"][:5])
    more = (
        f" and {len(overlap['shared_signers']) - 5} more"
        if len(overlap["shared_signers"]) > 5
        else ""
    )
    message = (
        f"the splits {train_split!r} and {test_split!r} are not signer-independent: "
        f"{len(overlap['shared_signers'])} signer(s) ({shown}{more}) signed "
        f"{overlap['overlapping_test_clips']} test and {overlap['overlapping_train_clips']} train "
        "clips"
    )
    if strict:
        raise ManifestError(message + " (--strict)")
    return message


def class_labels(records: Sequence[ClipRecord], classes: list[str]) -> np.ndarray:
    """Class index of each record's text; -1 for texts that are not classes."""
    position = {name: c for c, name in enumerate(classes)}
    return np.array([position.get(r.text, -1) for r in records], np.int64)


def embed_rows(
    encoder: SignCLIPEncoder, data: PreparedData, rows: np.ndarray, what: str, progress: bool
) -> np.ndarray:
    chunks = [rows[i : i + EMBED_CHUNK] for i in range(0, len(rows), EMBED_CHUNK)]
    out = [
        encoder.embed_features([data.cache.get(i) for i in chunk])
        for chunk in tqdm(chunks, desc=f"embedding {what}", disable=not progress, leave=False)
    ]
    if not out:
        return np.zeros((0, encoder.model.embedding_size), np.float32)
    return np.concatenate(out)


def class_text_embeddings(
    encoder: SignCLIPEncoder, record: ClipRecord, classes: list[str], templates: Sequence[str]
) -> np.ndarray:
    """[C, E]: each class's prompt embedding in `record`'s languages, averaged over templates
    (and normalised again when the model compares unit vectors)."""
    per_template = [
        encoder.embed_texts(
            [
                fill_template(t, gloss, record.spoken_language, record.sign_language)
                for gloss in classes
            ]
        )
        for t in templates
    ]
    mean = np.mean(per_template, axis=0)
    return unit_rows(mean) if encoder.model.model_config.normalize else mean


def zero_shot_scores(
    encoder: SignCLIPEncoder,
    pose_emb: np.ndarray,
    records: Sequence[ClipRecord],
    classes: list[str],
    templates: Sequence[str],
    cosine: bool = False,
) -> np.ndarray:
    """Scores [Q, C] of each clip against the class prompts in the clip's own languages, as the
    model compares them or, with `cosine`, as cosines whatever the model compares."""
    if cosine:
        pose_emb = unit_rows(pose_emb)
    scores = np.zeros((len(records), len(classes)))
    groups: dict[tuple[str, str], list[int]] = {}
    for row, r in enumerate(records):
        groups.setdefault((r.spoken_language, r.sign_language), []).append(row)
    for rows in groups.values():
        text_emb = class_text_embeddings(encoder, records[rows[0]], classes, templates)
        if cosine:
            text_emb = unit_rows(text_emb)
        scores[rows] = encoder.similarity(pose_emb[rows], text_emb)
    return scores


def _split(data: PreparedData, name: str, manifest: str, required: bool) -> np.ndarray:
    rows = data.split_indices(name)
    if required and len(rows) == 0:
        splits = sorted({r.split for r in data.records})
        raise ManifestError(f"{manifest}: no usable clips in split {name!r} (splits: {splits})")
    return rows


def check_options(options: RecognitionOptions) -> None:
    unknown = [m for m in options.methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"recognition method {unknown[0]!r}: expected one of {list(METHODS)}")
    if any(k < 1 for k in options.shots):
        raise ConfigError(f"shots {list(options.shots)}: every k must be at least 1")
    if not (math.isfinite(options.probe_c) and options.probe_c > 0):
        raise ConfigError(f"probe C {options.probe_c}: must be a positive number")
    if options.seed < 0:
        raise ConfigError(f"seed {options.seed}: must be 0 or more")
    # Support clips or probe training drawn from the test clips would score them on themselves.
    if options.train_split == options.test_split and set(options.methods) - {"zero-shot"}:
        raise ConfigError(
            f"train split {options.train_split!r} is the test split: few-shot, k-NN and the "
            "probe need clips other than the ones they are tested on"
        )
    # A bad placeholder fails now, not after the embedding.
    for template in options.templates:
        fill_template(template, "x", "en", "ase")


def recognize(
    encoder: SignCLIPEncoder, data: PreparedData, options: RecognitionOptions, manifest: str
) -> dict:
    """Run the chosen methods; the result maps each method to its metrics, plus the setup."""
    check_options(options)
    if not options.templates:
        options = replace(options, templates=(encoder.contract.prompt,))
    test_rows = _split(data, options.test_split, manifest, required=True)
    test_records = [data.records[i] for i in test_rows]
    classes = list(options.classes) or list(dict.fromkeys(r.text for r in test_records))
    target = class_labels(test_records, classes)
    if (target < 0).any():
        outside = test_records[int(np.flatnonzero(target < 0)[0])]
        raise ManifestError(
            f"{manifest}: test clip {outside.clip_id} is {outside.text!r}, which is not among the "
            f"{len(classes)} given classes"
        )
    needs_train = any(m != "zero-shot" for m in options.methods)
    train_rows = _split(data, options.train_split, manifest, required=needs_train)
    train_records = [data.records[i] for i in train_rows]
    overlap = signer_overlap(train_records, test_records)
    warning = check_signers(overlap, options.train_split, options.test_split, options.strict)
    train_all = class_labels(train_records, classes)
    # Only train clips of test classes are ever used.
    train_rows, train_labels = train_rows[train_all >= 0], train_all[train_all >= 0]
    if needs_train and len(train_rows) == 0:
        raise ManifestError(
            f"{manifest}: split {options.train_split!r} has no clip of any {options.test_split!r} "
            "class, which few-shot, k-NN and the probe need"
        )

    test_emb = embed_rows(encoder, data, test_rows, options.test_split, options.progress)
    train_emb = (
        embed_rows(encoder, data, train_rows, options.train_split, options.progress)
        if needs_train
        else None
    )
    results: dict[str, dict] = {}
    if "zero-shot" in options.methods:
        scores = zero_shot_scores(encoder, test_emb, test_records, classes, options.templates)
        results["zero-shot"] = {
            **classification_metrics(scores, target, classes),
            "templates": list(options.templates),
        }
    prompt_cosines = None
    if "prompt+prototype" in options.methods:
        prompt_cosines = zero_shot_scores(
            encoder, test_emb, test_records, classes, options.templates, cosine=True
        )
    if {"few-shot", "knn", "prompt+prototype"} & set(options.methods):
        results.update(
            _few_shot(options, train_emb, train_labels, test_emb, target, classes, prompt_cosines)
        )
    if "probe" in options.methods:
        results["probe"] = _probe(train_emb, train_labels, test_emb, target, classes, options)
    unsupported = sorted(set(classes) - {classes[c] for c in train_labels})
    return {
        "test_split": options.test_split,
        "train_split": options.train_split,
        "classes": len(classes),
        "test_clips": len(test_rows),
        "train_clips_of_test_classes": len(train_rows),
        "classes_without_train_clips": unsupported,
        "signers": overlap,
        "warnings": [warning] if warning else [],
        "seed": options.seed,
        "methods": results,
    }


def _few_shot(
    options, train_emb, train_labels, test_emb, target, classes, prompt_cosines
) -> dict[str, dict]:
    results = {}
    for k in options.shots:
        support = draw_support(train_labels, len(classes), k, options.seed)
        emb = train_emb[support.rows]
        about = {
            "shots": k,
            "support_size": len(support.rows),
            # Classes that had fewer than k train clips and used all they had (0 = none at all).
            "classes_short_of_shots": {classes[c]: n for c, n in support.short_classes.items()},
        }
        if "few-shot" in options.methods:
            scores = prototype_scores(test_emb, emb, support.labels, len(classes))
            results[f"few-shot k={k}"] = {
                **classification_metrics(scores, target, classes),
                **about,
            }
        if "knn" in options.methods:
            scores = knn_scores(test_emb, emb, support.labels, len(classes))
            results[f"knn k={k}"] = {
                **classification_metrics(scores, target, classes),
                **about,
                "n_neighbors": knn_neighbours(len(support.rows)),
            }
        if "prompt+prototype" in options.methods:
            scores = prompt_cosines + prototype_cosines(test_emb, emb, support.labels, len(classes))
            results[f"prompt+prototype k={k}"] = {
                **classification_metrics(scores, target, classes),
                **about,
            }
    return results


def _probe(train_emb, train_labels, test_emb, target, classes, options) -> dict:
    probe = fit_linear_probe(train_emb, train_labels, len(classes), c=options.probe_c)
    return {
        **classification_metrics(probe.scores(test_emb), target, classes),
        "train_clips": len(train_labels),
        "c": options.probe_c,
        "iterations": probe.iterations,
        "objective": probe.loss,
    }
