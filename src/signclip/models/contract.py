"""What a model folder promises beyond its weights: how a text becomes the prompt the model was
trained on, and how a clip longer than the model's context is cut into windows.

Every consumer (evaluation, recognition, search, the server, analysis, fine-tuning, `embed`) takes
these from the folder, so a model trained with `data.prompt: "Sign {text} in {sign_language}."`
is queried with that sentence, never with another default.
"""

from __future__ import annotations

from dataclasses import dataclass

from signclip.errors import ConfigError
from signclip.text.prompts import make_prompt


@dataclass(frozen=True)
class ModelContract:
    # Template with {text}, {spoken_language} and {sign_language}, e.g. "<{spoken_language}>
    # <{sign_language}> {text}".
    prompt: str
    # "special": language tags such as <ase> are single tokens of their own; "text": word-pieces.
    language_tags: str
    # Tokens a text keeps, special tokens included; the rest is cut.
    text_max_length: int
    # A clip longer than `window_frames` is embedded as the mean of windows of that many frames
    # starting every `window_stride` frames (the last one flush with the clip's end).
    window_frames: int
    window_stride: int

    def __post_init__(self) -> None:
        make_prompt(self.prompt, "x", "en", "ase")  # refuses unknown placeholders in one line
        if self.window_frames < 1:
            raise ConfigError(f"window frames {self.window_frames}: must be at least 1")
        if not 1 <= self.window_stride <= self.window_frames:
            raise ConfigError(
                f"window stride {self.window_stride}: must lie in 1..{self.window_frames} "
                "(the window length), or frames would be skipped"
            )

    @classmethod
    def of(cls, model, tokenizer, prompt: str, window_stride: int | None = None) -> ModelContract:
        """The contract of a model being trained or saved: tag mode and text length from its
        tokenizer, windows as long as its context."""
        frames = model.model_config.max_frames
        return cls(
            prompt=prompt,
            language_tags=tokenizer.language_tags,
            text_max_length=tokenizer.max_length,
            window_frames=frames,
            window_stride=window_stride or default_stride(frames),
        )

    def make_prompt(self, text: str, spoken_language: str, sign_language: str) -> str:
        return make_prompt(self.prompt, text, spoken_language, sign_language)


def default_stride(window_frames: int) -> int:
    """Half a window: every frame away from a clip's ends is seen by two windows."""
    return max(1, window_frames // 2)
