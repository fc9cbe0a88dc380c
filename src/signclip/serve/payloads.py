"""Turning request payloads into model inputs, refusing bad ones with one line each.

Parsing and feature extraction run in the request's own thread, so several requests prepare their
inputs in parallel while the model thread only embeds.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence

import numpy as np

from signclip.errors import SignclipError
from signclip.inference import SignCLIPEncoder
from signclip.pose.io import read_pose
from signclip.serve.errors import PayloadTooLargeError, RequestError
from signclip.serve.limits import ServeLimits

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def check_batch(items: Sequence[object], field: str, limits: ServeLimits) -> None:
    if not items:
        raise RequestError(f"{field}: the list is empty; send at least one item")
    if len(items) > limits.max_batch:
        raise PayloadTooLargeError(
            f"{field}: {len(items)} items, at most {limits.max_batch} per request"
        )


def check_texts(texts: Sequence[str], limits: ServeLimits, field: str = "text") -> list[str]:
    """The texts, refused when the batch is empty or too large, or a text is blank or too long."""
    check_batch(texts, field, limits)
    for i, text in enumerate(texts):
        if not text.strip():
            raise RequestError(f"{field}[{i}]: empty text")
        if len(text) > limits.max_text_chars:
            raise PayloadTooLargeError(
                f"{field}[{i}]: {len(text)} characters, at most {limits.max_text_chars}"
            )
        if "\x00" in text:
            raise RequestError(f"{field}[{i}]: contains a NUL character")
    return list(texts)


def decode_base64(data: str, name: str) -> bytes:
    """Standard padded base64 (RFC 4648) only; anything else is refused rather than half-decoded.

    The check deletes the alphabet's characters and looks at what is left (at most two `=` at the
    end), at C speed: a regular expression over a megabyte of text would cost more than the
    pose's whole parse.
    """
    try:
        text = data.encode("ascii")
    except UnicodeEncodeError:
        raise RequestError(f"{name}: not valid base64 (non-ASCII characters)") from None
    rest = text.translate(None, _ALPHABET)
    if rest not in (b"", b"=", b"==") or not text.endswith(rest) or len(text) % 4:
        raise RequestError(
            f"{name}: not valid base64 (use A-Z a-z 0-9 + / with = padding, no line breaks)"
        )
    raw = binascii.a2b_base64(text)
    if not raw:
        raise RequestError(f"{name}: empty (no bytes after base64 decoding)")
    return raw


def pose_features(
    encoder: SignCLIPEncoder, data: bytes, name: str, limits: ServeLimits
) -> np.ndarray:
    """Features [T, F] of one `.pose` file's bytes, as the model reads them."""
    try:
        pose = read_pose(data, name=name)
    except SignclipError as exc:
        raise RequestError(str(exc)) from None
    frames = int(pose.body.data.shape[0])
    if frames > limits.max_frames:
        raise PayloadTooLargeError(f"{name}: {frames} frames, at most {limits.max_frames}")
    try:
        features = encoder.features(pose, name=name)
    except (SignclipError, ValueError) as exc:
        raise RequestError(str(exc)) from None
    if not features.any():
        raise RequestError(
            f"{name}: none of the model's points is present in any frame (all missing or NaN)"
        )
    return features


def poses_from_base64(
    encoder: SignCLIPEncoder, items: Sequence[str], limits: ServeLimits, field: str = "pose"
) -> list[np.ndarray]:
    check_batch(items, field, limits)
    named = [(f"{field}[{i}]", item) for i, item in enumerate(items)]
    return [pose_features(encoder, decode_base64(b64, n), n, limits) for n, b64 in named]
