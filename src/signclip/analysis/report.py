"""Run every analysis on the clips of a manifest and write the figures and `analysis.json`."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signclip.analysis.analogy import (
    AnalogyError,
    Label,
    Probe,
    answer_probes,
    answer_text_probe,
    default_probes,
    parse_probe,
)
from signclip.analysis.groups import group_means
from signclip.analysis.language_id import identify_languages
from signclip.analysis.maps import project_2d
from signclip.analysis.plots import plot_confusion, plot_map, plot_spread
from signclip.analysis.spread import concept_spread
from signclip.data.prepared import PreparedData
from signclip.errors import ManifestError
from signclip.inference import SignCLIPEncoder
from signclip.text.prompts import make_prompt

REPORT_FILE = "analysis.json"


@dataclass(frozen=True)
class AnalysisOptions:
    method: str = "tsne"
    probes: tuple[Probe, ...] = ()  # given language swaps "A:X,B:X,B:Y", parsed
    free_texts: tuple[tuple[str, str, str], ...] = ()  # given free texts "king,man,woman"
    max_analogies: int = 50  # default probes drawn at most
    seed: int = 0
    neighbours: int = 5


@dataclass
class Embedded:
    """Pose embeddings of the clips and text embeddings of their distinct (language, concept)."""

    pose: np.ndarray  # [N, E]
    concepts: list[str]  # [N]
    languages: list[str]  # [N]
    text: np.ndarray  # [M, E]
    text_labels: list[Label]  # [M] (sign language, concept)
    language_prompts: dict[str, str]  # sign language -> prompt without a concept


def embed_clips(
    encoder: SignCLIPEncoder, data: PreparedData, indices: np.ndarray, template: str
) -> Embedded:
    records = [data.records[i] for i in indices]
    if not records:
        raise ManifestError("no usable clips to analyse")
    pose = encoder.embed_features([data.cache.get(i) for i in indices])
    spoken: dict[str, Counter] = {}
    prompts: dict[Label, str] = {}
    for r in records:
        spoken.setdefault(r.sign_language, Counter())[r.spoken_language] += 1
        label = (r.sign_language, r.text)
        if label not in prompts:
            prompts[label] = make_prompt(template, r.text, r.spoken_language, r.sign_language)
    labels = list(prompts)
    language_prompts = {
        lang: make_prompt(template, "", counts.most_common(1)[0][0], lang).strip()
        for lang, counts in sorted(spoken.items())
    }
    return Embedded(
        pose=pose,
        concepts=[r.text for r in records],
        languages=[r.sign_language for r in records],
        text=encoder.embed_texts([prompts[label] for label in labels]),
        text_labels=labels,
        language_prompts=language_prompts,
    )


def analyze(
    encoder: SignCLIPEncoder, embedded: Embedded, options: AnalysisOptions, out: Path
) -> dict:
    """Compute every measure, draw the figures into `out`, return the report (also written)."""
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"clips": len(embedded.concepts), "method": options.method}
    report["analogies"] = _analogies(encoder, embedded, options)
    ranking = concept_spread(embedded.pose, embedded.concepts, embedded.languages)
    report["concept_spread"] = ranking
    report["language_id"] = language_id(encoder, embedded)
    figures = []
    if ranking:
        figures.append(plot_spread(ranking, out / "concept_spread.png"))
    names = report["language_id"]["languages"]
    figures.append(
        plot_confusion(
            report["language_id"]["confusion"],
            names,
            f"sign language from prompts such as '{report['language_id']['prompts'][0]}'\n"
            f"accuracy {report['language_id']['accuracy']:.3f} (chance {1 / len(names):.3f})",
            out / "language_id_confusion.png",
        )
    )
    # Written before and after the maps: the numbers survive a map that fails or is interrupted.
    _write(report, figures, out)
    figures += _maps(embedded, options, out)
    _write(report, figures, out)
    return report


def _write(report: dict, figures: list[Path], out: Path) -> None:
    report["figures"] = [f.name for f in figures]
    (out / REPORT_FILE).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")


def _analogies(encoder: SignCLIPEncoder, embedded: Embedded, options: AnalysisOptions) -> dict:
    pose_labels, pose_means = _pose_means(embedded)
    probes = [*options.probes, *default_probes(pose_labels, options.max_analogies, options.seed)]
    k = options.neighbours
    result = {
        "pose": answer_probes(pose_means, pose_labels, probes, k),
        "text": answer_probes(embedded.text, embedded.text_labels, probes, k),
    }
    if options.free_texts:
        result["free_text"] = [_free_text(encoder, embedded, t, k) for t in options.free_texts]
    return result


def _pose_means(embedded: Embedded) -> tuple[list[Label], np.ndarray]:
    keys = list(zip(embedded.languages, embedded.concepts, strict=True))
    labels, means = group_means(embedded.pose, keys)
    return labels, means


def parse_analogies(
    texts: Sequence[str],
) -> tuple[tuple[Probe, ...], tuple[tuple[str, str, str], ...]]:
    """Split `--analogy` values into language swaps (with ':') and free-text triples."""
    probes, free = [], []
    for text in texts:
        if ":" in text:
            probes.append(parse_probe(text))
            continue
        terms = [t.strip() for t in text.split(",")]
        if len(terms) != 3 or not all(terms):
            raise AnalogyError(f"--analogy {text!r}: expected three comma-separated texts")
        free.append((terms[0], terms[1], terms[2]))
    return tuple(probes), tuple(free)


def _free_text(
    encoder: SignCLIPEncoder, embedded: Embedded, terms: tuple[str, str, str], k: int
) -> dict:
    vectors = encoder.embed_texts(list(terms))
    neighbours = answer_text_probe(vectors, embedded.text, embedded.text_labels, k)
    return {"probe": f"{terms[0]} − {terms[1]} + {terms[2]}", "neighbours": neighbours}


def language_id(encoder: SignCLIPEncoder, embedded: Embedded) -> dict:
    """Sign-language identification of `embedded`'s poses from language prompts alone."""
    names = list(embedded.language_prompts)
    prompt_emb = encoder.embed_texts([embedded.language_prompts[n] for n in names])
    result = identify_languages(
        encoder.similarity(embedded.pose, prompt_emb), embedded.languages, names
    )
    result["prompts"] = [embedded.language_prompts[n] for n in names]
    return result


def _maps(embedded: Embedded, options: AnalysisOptions, out: Path) -> list[Path]:
    figures = []
    text_concepts = [concept for _, concept in embedded.text_labels]
    text_languages = [language for language, _ in embedded.text_labels]
    spaces = (
        ("pose", embedded.pose, embedded.concepts, embedded.languages),
        ("text", embedded.text, text_concepts, text_languages),
    )
    for space, vectors, concepts, languages in spaces:
        if len(vectors) < 3:
            continue  # too few points for a map; the numbers above still stand
        points = project_2d(vectors, options.method, options.seed)
        for by, labels in (("concept", concepts), ("language", languages)):
            title = f"{space} embeddings ({options.method}), coloured by {by}"
            figures.append(plot_map(points, labels, title, out / f"map_{space}_by_{by}.png"))
    return figures
