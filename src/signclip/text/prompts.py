"""Prompts such as `<en> <ase> house`, and the language tags at their start."""

from __future__ import annotations

import re

from signclip.errors import ConfigError

# A tag is a language code in angle brackets: ISO 639 (`en`, `ase`) with optional BCP 47 subtags
# (`de-CH`, `zh-Hans-CN`). Only tags at the very start of a prompt count, so a gloss that happens
# to contain `<...>` is never mistaken for one.
_LEADING_TAG = re.compile(r"\s*(<[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*>)")


def make_prompt(template: str, text: str, spoken_language: str, sign_language: str) -> str:
    """Fill `template` (e.g. "<{spoken_language}> <{sign_language}> {text}") for one clip."""
    try:
        return template.format(
            text=text, spoken_language=spoken_language, sign_language=sign_language
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"prompt template {template!r}: only {{text}}, {{spoken_language}} and "
            f"{{sign_language}} may appear ({exc.__class__.__name__}: {exc})"
        ) from exc


def language_tags(prompt: str) -> list[str]:
    """The tags, brackets included, that open `prompt`: "<en> <de-CH> hi" -> ["<en>", "<de-CH>"]."""
    tags = []
    position = 0
    while match := _LEADING_TAG.match(prompt, position):
        tags.append(match.group(1))
        position = match.end()
    return tags
