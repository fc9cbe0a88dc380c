"""Request and response bodies of the HTTP API, as documented in its OpenAPI schema.

Unknown keys are refused (a misspelt key must not be silently ignored), and strings and integers
are strict: `"k": "5"` or `"text": [1]` is an error, not a guess.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

_STRICT = ConfigDict(extra="forbid")


class TextEmbedRequest(BaseModel):
    model_config = _STRICT
    text: list[StrictStr] = Field(
        description="Texts used exactly as given, prompts included: `<en> <ase> house`."
    )
    model_name: StrictStr | None = Field(
        None, description="Accepted for clients of the original API; the server has one model."
    )


class PoseEmbedRequest(BaseModel):
    model_config = _STRICT
    pose: list[StrictStr] = Field(description="Whole `.pose` files, each base64-encoded.")
    model_name: StrictStr | None = Field(
        None, description="Accepted for clients of the original API; the server has one model."
    )


class EmbedResponse(BaseModel):
    embeddings: list[list[float]] = Field(description="One vector [E] per input, in order.")


class SearchRequest(BaseModel):
    model_config = _STRICT
    text: StrictStr | None = Field(
        None,
        description="A word or phrase; without language tags it is prompted for each sign "
        "language of the index (or the one chosen).",
    )
    pose: StrictStr | None = Field(None, description="A base64-encoded `.pose` file.")
    k: StrictInt = Field(10, ge=1, description="How many results.")
    sign_language: StrictStr | None = Field(
        None, description="Only clips (and texts) of this sign language, e.g. `ase`."
    )
    spoken_language: StrictStr | None = Field(
        None, description="Spoken language of the prompt (default: the index's most common)."
    )


class ClipResult(BaseModel):
    rank: int
    clip_id: str
    score: float = Field(description="The model's similarity: higher is closer.")
    text: str
    sign_language: str
    spoken_language: str


class TextResult(BaseModel):
    rank: int
    score: float
    text: str
    prompt: str = Field(description="The prompt that was scored.")
    sign_language: str
    spoken_language: str


class SearchResponse(BaseModel):
    prompts: list[str] = Field(description="The prompts a text query was embedded as.")
    clips: list[ClipResult]
    texts: list[TextResult] = Field(description="For a pose query: the closest texts.")


class Drawing(BaseModel):
    """A clip's skeleton in picture pixels, for a canvas."""

    width: int
    height: int
    fps: float
    parts: list[dict] = Field(
        description="name, colour, line and dot sizes, bones [[a, b]], joints and `unless` "
        "(draw the part only in frames where none of these points is present)"
    )
    frames: list[list[float | None]] = Field(
        description="Per frame: x0, y0, x1, y1, ... of the drawn points; null when absent."
    )


class Info(BaseModel):
    model: str
    embedding_size: int
    prompt: str = Field(description="The template a word is put in before it is embedded.")
    index_size: int
    sign_languages: list[str]
    limits: dict[str, float]


class Health(BaseModel):
    status: str
    waiting: int = Field(description="Requests queued for the model now.")
