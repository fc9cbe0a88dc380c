"""Search of an index by a word or a pose, with the model's prompts filled in for the user.

A plain word becomes the prompt of each (spoken, sign) language pair of the index
(`<en> <ase> house`), and each prompt searches only the clips of its own pair; the lists are merged
by score, as `signclip.index.query.search_text` does. Text that opens with its own language tags
is used as written. A pose query finds clips and also the closest texts of the index (its distinct
prompts, embedded once, on the first pose query).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from signclip.index.errors import QueryError
from signclip.index.query import check_languages, language_pairs, merged, text_queries
from signclip.index.store import Hit, SignIndex
from signclip.serve.batcher import MicroBatcher
from signclip.serve.errors import RequestError
from signclip.text.prompts import make_prompt


@dataclass(frozen=True)
class TextHit:
    rank: int
    score: float
    text: str
    prompt: str
    sign_language: str
    spoken_language: str


class SearchService:
    def __init__(self, index: SignIndex, batcher: MicroBatcher, template: str):
        """`template`: the prompt template of the served model (its folder's contract)."""
        self.index = index
        self.batcher = batcher
        self.template = template
        self.sign_languages = index.sign_languages
        entries = {(r.text, r.spoken_language, r.sign_language) for r in index.records}
        self.text_entries = sorted(entries)
        self.prompts = [make_prompt(self.template, *entry) for entry in self.text_entries]
        # Derived once: requests only filter these short lists.
        self.pairs = language_pairs(index)
        self._rows_of_sign = {
            sign: np.array([i for i, e in enumerate(self.text_entries) if e[2] == sign], np.int64)
            for sign in self.sign_languages
        }
        self._prompt_emb: np.ndarray | None = None
        self._lock = threading.Lock()

    def check_languages(self, sign_language: str | None, spoken_language: str | None) -> None:
        try:
            check_languages(self.index, sign_language, spoken_language)
        except QueryError as exc:
            raise RequestError(str(exc)) from None

    def warm_up(self) -> None:
        """Embed the index's prompts now, so no request waits for it."""
        self._prompt_embeddings()

    def by_text(
        self, text: str, k: int, sign_language: str | None, spoken_language: str | None = None
    ) -> tuple[list[str], list[Hit]]:
        """Like `signclip.index.query.search_text`, with the model run by the batcher."""
        self.check_languages(sign_language, spoken_language)
        try:
            queries = text_queries(text, self.pairs, sign_language, spoken_language, self.template)
        except QueryError as exc:
            raise RequestError(str(exc)) from None
        if not queries:  # no clip has these languages
            return [], []
        embeddings = self.batcher.run("text", [prompt for prompt, _, _ in queries])
        hits: list[Hit] = []
        for (_, sign, spoken), emb in zip(queries, embeddings, strict=True):
            hits += self.index.search(emb, k=k, sign_language=sign, spoken_language=spoken)[0]
        return [q[0] for q in queries], merged(hits, k)

    def by_pose(
        self, features: np.ndarray, k: int, sign_language: str | None
    ) -> tuple[list[Hit], list[TextHit]]:
        self.check_languages(sign_language, None)
        emb = self.batcher.run("pose", [features])
        clips = self.index.search(emb, k=k, sign_language=sign_language)[0]
        return clips, self.closest_texts(np.asarray(emb), k, sign_language)

    def closest_texts(
        self, pose_emb: np.ndarray, k: int, sign_language: str | None
    ) -> list[TextHit]:
        if not self.prompts:
            return []
        scores = (self._prompt_embeddings() @ pose_emb.reshape(-1)).astype(np.float64)
        if sign_language is None:
            rows = np.arange(len(self.prompts))
        else:
            rows = self._rows_of_sign[sign_language]
        # Stable sort: equal scores keep the entries' alphabetical order.
        best = rows[np.argsort(-scores[rows], kind="stable")[:k]]
        return [
            TextHit(rank, float(scores[row]), *self._entry(row)) for rank, row in enumerate(best, 1)
        ]

    def _entry(self, row: int) -> tuple[str, str, str, str]:
        text, spoken, sign = self.text_entries[row]
        return text, self.prompts[row], sign, spoken

    def _prompt_embeddings(self) -> np.ndarray:
        with self._lock:
            if self._prompt_emb is None:
                chunks = [
                    np.asarray(self.batcher.run("text", self.prompts[i : i + 256]))
                    for i in range(0, len(self.prompts), 256)
                ]
                self._prompt_emb = np.concatenate(chunks).astype(np.float32)
            return self._prompt_emb
