"""`TextTokenizer`: texts to a padded `TextBatch`, with optional language-tag tokens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from transformers import AutoTokenizer, PreTrainedTokenizerBase

from signclip.batch import TextBatch
from signclip.errors import ModelFolderError
from signclip.text.prompts import language_tags

# Our own settings beside the Hugging Face files, so a saved folder tokenises exactly as before.
SETTINGS_FILE = "signclip_tokenizer.json"

TagMode = Literal["special", "text"]


class TextTokenizer:
    """A Hugging Face tokenizer with this project's truncation length and language-tag policy."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, max_length: int, language_tags: TagMode):
        if language_tags not in ("special", "text"):
            raise ValueError(f"language_tags must be 'special' or 'text', got {language_tags!r}")
        if max_length < 2:
            raise ValueError(f"max_length must leave room for the special tokens, got {max_length}")
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.language_tags = language_tags

    @classmethod
    def from_pretrained(
        cls,
        source: str | Path,
        max_length: int,
        language_tags: TagMode,
        local_only: bool = False,
    ) -> TextTokenizer:
        """Load from a local folder or a Hugging Face name (downloaded unless `local_only`)."""
        hf = AutoTokenizer.from_pretrained(str(source), local_files_only=local_only)
        return cls(hf, max_length, language_tags)

    def __call__(self, texts: list[str]) -> TextBatch:
        """Token ids and mask [B, L], padded to the longest text, cut at `max_length` tokens."""
        if not texts:
            raise ValueError("cannot tokenise an empty list of texts")
        encoded = self.tokenizer(
            list(texts),
            padding="longest",
            truncation=True,
            max_length=self.max_length,
            return_token_type_ids=False,
            return_tensors="pt",
        )
        return TextBatch(encoded["input_ids"].long(), encoded["attention_mask"].long())

    def __len__(self) -> int:
        """Vocabulary size including added tokens: the rows the embedding matrix needs."""
        return len(self.tokenizer)

    @property
    def cls_token_id(self) -> int | None:
        return self.tokenizer.cls_token_id

    @property
    def sep_token_id(self) -> int | None:
        return self.tokenizer.sep_token_id

    def add_language_tags(self, tags: list[str]) -> int:
        """Make tags like "<ase>" single tokens (mode "special"); returns how many were new.

        In mode "text" (the paper's) tags stay ordinary text split into word-pieces, so nothing is
        added and 0 is returned.
        """
        if self.language_tags == "text":
            return 0
        vocab = self.tokenizer.get_vocab()
        new = sorted({tag for tag in tags if tag not in vocab})
        # Special tokens are matched before normalisation, so "<de-CH>" survives an uncased model.
        return self.tokenizer.add_tokens(new, special_tokens=True) if new else 0

    def tag_token_ids(self) -> list[int]:
        """Ids of the language tags that are tokens of their own (mode "special")."""
        added = self.tokenizer.get_added_vocab()
        return sorted(i for token, i in added.items() if language_tags(token) == [token])

    def save(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save_pretrained(str(folder))
        settings = {"max_length": self.max_length, "language_tags": self.language_tags}
        (folder / SETTINGS_FILE).write_text(json.dumps(settings, indent=2) + "\n")

    @classmethod
    def load(cls, folder: str | Path) -> TextTokenizer:
        """Read a folder written by `save`; never downloads."""
        folder = Path(folder)
        settings_path = folder / SETTINGS_FILE
        if not settings_path.is_file():
            raise ModelFolderError(f"{settings_path}: missing (not a saved signclip tokenizer)")
        try:
            settings = json.loads(settings_path.read_text())
            hf = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            return cls(hf, int(settings["max_length"]), settings["language_tags"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            reason = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            raise ModelFolderError(f"{folder}: cannot load the tokenizer ({reason})") from exc
