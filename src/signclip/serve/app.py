"""`create_app(encoder, index)`: the HTTP API and the web page.

Routes (documented at /docs and /openapi.json):
- POST /api/embed/text, /api/embed/pose: the original SignCLIP API's bodies and answer
  (`{"embeddings": [[...], ...]}`); its GET form with a JSON body is accepted too;
- POST /api/embed/pose/upload: `.pose` files as a multipart form;
- POST /api/search: a word or a pose against the index; GET /api/clips/{id}/frames: a clip to draw;
- GET /api/info, GET /health; GET /: the web page.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np
from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from signclip.errors import PoseFileError, SignclipError
from signclip.index.errors import ClipNotFoundError
from signclip.index.store import SignIndex
from signclip.inference import SignCLIPEncoder
from signclip.pose.io import read_pose
from signclip.serve import schemas
from signclip.serve.batcher import MicroBatcher, QueueFullError
from signclip.serve.body_limit import BodyLimitMiddleware
from signclip.serve.errors import NoIndexError, NotFoundError, RequestError
from signclip.serve.frames import drawing_json
from signclip.serve.limits import ServeLimits
from signclip.serve.payloads import (
    check_batch,
    check_texts,
    decode_base64,
    pose_features,
    poses_from_base64,
)
from signclip.serve.search import SearchService

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
# Clip drawings are ~0.1-1 MB of JSON each; the page shows at most 50 results at a time.
_DRAWINGS_KEPT = 128


def create_app(
    encoder: SignCLIPEncoder,
    index: SignIndex | None = None,
    limits: ServeLimits | None = None,
    model_name: str = "signclip",
) -> FastAPI:
    limits = limits or ServeLimits()
    batcher = MicroBatcher(
        {"text": encoder.embed_texts, "pose": encoder.embed_features},
        queue_size=limits.queue_size,
        wait_s=limits.batch_wait_ms / 1000,
        max_items=limits.max_merged_items,
    )
    search = SearchService(index, batcher, encoder.contract.prompt) if index is not None else None
    app = FastAPI(
        title="signclip",
        summary="Text and sign-language poses in one embedding space",
        version="1",
        lifespan=_lifespan(batcher, search),
    )
    app.state.batcher = batcher
    app.add_middleware(BodyLimitMiddleware, max_bytes=limits.max_body_bytes)
    _add_error_handlers(app)
    _add_embed_routes(app, encoder, batcher, limits)
    _add_search_routes(app, encoder, search, limits)
    _add_page_routes(app, encoder, index, limits, model_name)
    return app


def _lifespan(batcher: MicroBatcher, search: SearchService | None):
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if search is not None:
            # The index's prompts are embedded before the first request, not inside it.
            await run_in_threadpool(search.warm_up)
        yield
        batcher.close()

    return lifespan


def _embeddings(array: np.ndarray) -> Response:
    # Serialised here rather than through the response model: validating thousands of floats
    # would cost more than embedding them.
    body = json.dumps({"embeddings": np.asarray(array, np.float32).tolist()})
    return Response(body, media_type="application/json")


def _add_embed_routes(app, encoder, batcher: MicroBatcher, limits: ServeLimits) -> None:
    def embed_text(body: schemas.TextEmbedRequest) -> Response:
        texts = check_texts(body.text, limits)
        return _embeddings(batcher.run("text", texts))

    def embed_pose(body: schemas.PoseEmbedRequest) -> Response:
        with batcher.preparing():
            clips = poses_from_base64(encoder, body.pose, limits)
        return _embeddings(batcher.run("pose", clips))

    def embed_pose_upload(files: list[UploadFile] = File(...)) -> Response:  # noqa: B008
        check_batch(files, "files", limits)
        with batcher.preparing():
            clips = [
                pose_features(encoder, f.file.read(), f"files[{i}] ({f.filename})", limits)
                for i, f in enumerate(files)
            ]
        return _embeddings(batcher.run("pose", clips))

    text_doc = "Embed texts, used exactly as given. GET with the same JSON body also works."
    pose_doc = "Embed base64 `.pose` files. GET with the same JSON body also works."
    for path, handler, model, doc in (
        ("/api/embed/text", embed_text, schemas.TextEmbedRequest, text_doc),
        ("/api/embed/pose", embed_pose, schemas.PoseEmbedRequest, pose_doc),
    ):
        app.add_api_route(
            path, handler, methods=["POST"], response_model=schemas.EmbedResponse,
            description=doc, responses=_ERRORS,
        )  # fmt: skip
        app.add_api_route(path, _get_form(handler, model), methods=["GET"], include_in_schema=False)
    app.add_api_route(
        "/api/embed/pose/upload", embed_pose_upload, methods=["POST"],
        response_model=schemas.EmbedResponse, description="Embed `.pose` files sent as a form.",
        responses=_ERRORS,
    )  # fmt: skip


def _get_form(handler, model):
    """The original API took its JSON body on GET, whatever the content type said."""

    async def get_with_body(request: Request) -> Response:
        try:
            body = model.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        return await run_in_threadpool(handler, body)

    return get_with_body


def _add_search_routes(app, encoder, search: SearchService | None, limits: ServeLimits) -> None:
    def require_index() -> SearchService:
        if search is None:
            raise NoIndexError("no index loaded: start the server with --index to search")
        return search

    @app.post("/api/search", response_model=schemas.SearchResponse, responses=_ERRORS)
    def search_index(body: schemas.SearchRequest) -> dict:
        """Clips (and, for a pose, texts) closest to a word or a base64 `.pose` file."""
        service = require_index()
        if (body.text is None) == (body.pose is None):
            raise RequestError("send exactly one of 'text' and 'pose'")
        if body.k > limits.max_k:
            raise RequestError(f"k={body.k}: at most {limits.max_k}")
        if body.text is not None:
            text = check_texts([body.text], limits)[0]
            prompts, clips = service.by_text(text, body.k, body.sign_language, body.spoken_language)
            return {"prompts": prompts, "clips": [_clip(h) for h in clips], "texts": []}
        if body.spoken_language is not None:
            raise RequestError("spoken_language filters text queries; a pose query has none")
        service.check_languages(body.sign_language, None)  # before the costly parse
        with service.batcher.preparing():
            features = pose_features(encoder, decode_base64(body.pose, "pose"), "pose", limits)
        clips, texts = service.by_pose(features, body.k, body.sign_language)
        found = [asdict(t) for t in texts]
        return {"prompts": [], "clips": [_clip(h) for h in clips], "texts": found}

    @app.get("/api/clips/{clip_id:path}/frames", response_model=schemas.Drawing, responses=_ERRORS)
    def clip_frames(clip_id: str) -> Response:
        """A stored clip's skeleton, frame by frame, for drawing."""
        return Response(drawing(clip_id), media_type="application/json")

    # Bounded: at most this many drawings are kept, whatever clients ask for.
    @lru_cache(maxsize=_DRAWINGS_KEPT)
    def drawing(clip_id: str) -> bytes:
        record = require_index().index.get(clip_id)
        try:
            pose = read_pose(record.pose_path)
        except PoseFileError as exc:
            raise NotFoundError(f"clip {clip_id!r}: its pose cannot be read ({exc})") from None
        return drawing_json(pose, clip_id)


def _clip(hit) -> dict:
    return {
        "rank": hit.rank, "clip_id": hit.clip_id, "score": hit.score, "text": hit.text,
        "sign_language": hit.sign_language, "spoken_language": hit.spoken_language,
    }  # fmt: skip


def _add_page_routes(app, encoder, index, limits: ServeLimits, model_name: str) -> None:
    info = {
        "model": model_name,
        "embedding_size": int(encoder.model.embedding_size),
        "prompt": encoder.contract.prompt,
        "index_size": len(index) if index is not None else 0,
        "sign_languages": index.sign_languages if index is not None else [],
        "limits": {k: float(v) for k, v in vars(limits).items()},
    }

    @app.get("/api/info", response_model=schemas.Info)
    async def get_info() -> dict:
        """The model, the index's size and languages, and the request limits."""
        return info

    @app.get("/health", response_model=schemas.Health)
    async def health() -> dict:
        return {"status": "ok", "waiting": app.state.batcher.waiting}

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")


_ERRORS = {
    status: {"description": what, "content": {"application/json": {"example": {"detail": "..."}}}}
    for status, what in (
        (404, "Unknown clip"),
        (409, "No index loaded"),
        (413, "Body, batch, text or clip too large"),
        (422, "Invalid payload (one-line `detail`)"),
        (503, "Too many requests waiting for the model"),
    )
}


def _add_error_handlers(app: FastAPI) -> None:
    def one_line(status: int, message: str) -> JSONResponse:
        return JSONResponse({"detail": " ".join(str(message).split())}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return one_line(422, describe_validation(exc.errors()))

    @app.exception_handler(SignclipError)
    async def refused(request: Request, exc: SignclipError) -> JSONResponse:
        if isinstance(exc, RequestError):
            status = exc.status
        elif isinstance(exc, QueueFullError):
            status = 503
        elif isinstance(exc, ClipNotFoundError):
            status = NotFoundError.status
        else:
            status = 422
        return one_line(status, str(exc))

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return one_line(500, f"internal error: {type(exc).__name__}: {exc}")


def describe_validation(errors) -> str:
    """The first problem of a rejected body as `where: what` (and how many more there are)."""
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "body"
    what = first.get("msg", "invalid")
    if first.get("type") == "json_invalid":
        what = f"not valid JSON ({first.get('ctx', {}).get('error', 'cannot be parsed')})"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where}: {what}{more}"
