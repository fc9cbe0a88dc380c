"""Request errors: each carries the HTTP status it is answered with and a one-line message."""

from __future__ import annotations

from signclip.errors import SignclipError


class RequestError(SignclipError):
    """A request the server refuses; `status` is its HTTP status code."""

    status = 422


class PayloadTooLargeError(RequestError):
    status = 413


class NotFoundError(RequestError):
    status = 404


class NoIndexError(RequestError):
    """Search asked of a server started without an index."""

    status = 409
