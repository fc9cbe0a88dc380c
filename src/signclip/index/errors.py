"""Errors of the sign index; each reaches the user as one line naming the file or value at fault."""

from signclip.errors import SignclipError


class SignIndexError(SignclipError):
    """An index folder that is missing, corrupt, or built with another model than the one given."""


class QueryError(SignIndexError):
    """A query the index cannot answer: wrong dimension, NaN values, k below 1."""


class ClipNotFoundError(SignIndexError):
    """A clip id that the index does not hold."""
