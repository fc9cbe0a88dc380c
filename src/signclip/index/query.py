"""Queries in the words of the model: a text becomes its training prompt, a pose its embedding.

A text is searched as the prompt the model was trained with, e.g. `<en> <ase> house`. The prompt
names a sign language, so without `sign_language` the text is asked once per (spoken, sign)
language pair present in the index, each prompt among that pair's clips, and the lists are merged
by score: "house" finds houses in every sign language, each scored as its own prompt would be.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from signclip.config import DataConfig
from signclip.index.store import Hit, SignIndex
from signclip.text.prompts import make_prompt

if TYPE_CHECKING:  # torch and transformers load only when a model does
    from signclip.inference import PoseInput, SignCLIPEncoder

DEFAULT_TEMPLATE = DataConfig.prompt


def language_pairs(
    index: SignIndex, sign_language: str | None = None, spoken_language: str | None = None
) -> list[tuple[str, str]]:
    """Sorted (spoken, sign) language pairs of the index's clips that match the filters."""
    return sorted(
        {
            (r.spoken_language, r.sign_language)
            for r in index.records
            if sign_language in (None, r.sign_language)
            and spoken_language in (None, r.spoken_language)
        }
    )


def search_text(
    encoder: SignCLIPEncoder,
    index: SignIndex,
    text: str,
    k: int = 10,
    sign_language: str | None = None,
    spoken_language: str | None = None,
    template: str = DEFAULT_TEMPLATE,
    backend: str | None = None,
) -> list[Hit]:
    """The `k` clips closest to `text`; empty when no clip matches the language filters."""
    pairs = language_pairs(index, sign_language, spoken_language)
    if not pairs:
        return []
    prompts = [make_prompt(template, text, spoken, sign) for spoken, sign in pairs]
    queries = encoder.embed_texts(prompts)
    hits: list[Hit] = []
    for (spoken, sign), query in zip(pairs, queries, strict=True):
        found = index.search(query, k, sign_language=sign, spoken_language=spoken, backend=backend)
        hits += found[0]
    return _merged(hits, k)


def search_pose(
    encoder: SignCLIPEncoder,
    index: SignIndex,
    pose: PoseInput,
    k: int = 10,
    sign_language: str | None = None,
    backend: str | None = None,
) -> list[Hit]:
    """The `k` clips closest to a pose, embedded exactly like the index's clips."""
    query = encoder.embed_poses([pose])
    return index.search(query, k, sign_language=sign_language, backend=backend)[0]


def _merged(hits: list[Hit], k: int) -> list[Hit]:
    best = sorted(hits, key=lambda hit: -hit.score)[:k]
    return [replace(hit, rank=rank) for rank, hit in enumerate(best, start=1)]
