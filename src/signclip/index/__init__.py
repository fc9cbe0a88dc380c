"""The sign index: clip embeddings with their metadata, searched by text or by pose."""

from signclip.index.errors import ClipNotFoundError, QueryError, SignIndexError
from signclip.index.store import Hit, SignIndex

__all__ = ["ClipNotFoundError", "Hit", "QueryError", "SignIndex", "SignIndexError"]
