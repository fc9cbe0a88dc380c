"""The one-line errors of video → pose."""

from __future__ import annotations

from signclip.errors import SignclipError

INSTALL_HINT = "pip install 'signclip[video]'"


class VideoError(SignclipError):
    """A video that is missing, unreadable, has no frames or no usable frame rate or size.

    `kind` is the problem's tag in an `ImportReport` (missing-file, unreadable-file, ...).
    """

    def __init__(self, message: str, kind: str = "unreadable-file") -> None:
        super().__init__(message)
        self.kind = kind


class MissingExtraError(SignclipError):
    """The optional video dependencies (mediapipe, opencv) are not installed."""
