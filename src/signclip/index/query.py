"""Queries in the words of the model: a text becomes its training prompt, a pose its embedding.

A text is searched as the prompt the model was trained with (its folder's template, e.g.
`<en> <ase> house`), unless the caller gives another template. The prompt
names a sign language, so without `sign_language` the text is asked once per (spoken, sign)
language pair present in the index, each prompt among that pair's clips, and the lists are merged
by score: "house" finds houses in every sign language, each scored as its own prompt would be.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from signclip.index.errors import QueryError
from signclip.index.store import Hit, SignIndex
from signclip.text.prompts import language_tags, make_prompt

if TYPE_CHECKING:  # torch and transformers load only when a model does
    from signclip.inference import PoseInput, SignCLIPEncoder


def language_pairs(index: SignIndex) -> list[tuple[str, str]]:
    """Sorted (spoken, sign) language pairs of the index's clips."""
    return sorted({(r.spoken_language, r.sign_language) for r in index.records})


def check_languages(
    index: SignIndex,
    sign_language: str | None,
    spoken_language: str | None,
    names: tuple[str, str] = ("sign_language", "spoken_language"),
) -> None:
    """A filter naming a language the index does not hold is refused (a typo far more often
    than a wish for no results); `names` are the filters as the caller spells them."""
    for name, wanted, present in (
        (names[0], sign_language, index.sign_languages),
        (names[1], spoken_language, index.spoken_languages),
    ):
        if wanted is not None and wanted not in present:
            raise QueryError(
                f"{name} {wanted!r}: the index holds no such language "
                f"(it holds: {', '.join(present) or 'none'})"
            )


def search_text(
    encoder: SignCLIPEncoder,
    index: SignIndex,
    text: str,
    k: int = 10,
    sign_language: str | None = None,
    spoken_language: str | None = None,
    template: str | None = None,
    backend: str | None = None,
) -> list[Hit]:
    """The `k` clips closest to `text`; empty when no clip matches the language filters.
    `template` replaces the model's own prompt template."""
    template = template or encoder.contract.prompt
    queries = text_queries(text, language_pairs(index), sign_language, spoken_language, template)
    if not queries:
        return []
    embeddings = encoder.embed_texts([prompt for prompt, _, _ in queries])
    hits: list[Hit] = []
    for (_, sign, spoken), query in zip(queries, embeddings, strict=True):
        found = index.search(query, k, sign_language=sign, spoken_language=spoken, backend=backend)
        hits += found[0]
    return merged(hits, k)


def text_queries(
    text: str,
    pairs: list[tuple[str, str]],
    sign_language: str | None,
    spoken_language: str | None,
    template: str,
) -> list[tuple[str, str | None, str | None]]:
    """(prompt, sign language, spoken language) of each search a text asks for, the languages
    being the filters its results must pass. A plain word becomes the prompt of each (spoken,
    sign) pair of the index that the filters allow; a text that opens with its own language tags
    is used as written, once."""
    if not text.strip():
        raise QueryError("the text query is empty")
    if language_tags(text):
        return [(text, sign_language, spoken_language)]
    return [
        (make_prompt(template, text, spoken, sign), sign, spoken)
        for spoken, sign in pairs
        if sign_language in (None, sign) and spoken_language in (None, spoken)
    ]


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


def merged(hits: list[Hit], k: int) -> list[Hit]:
    """The best `k` of several searches' hits, ranked again; equal scores keep their order."""
    best = sorted(hits, key=lambda hit: -hit.score)[:k]
    return [replace(hit, rank=rank) for rank, hit in enumerate(best, start=1)]
