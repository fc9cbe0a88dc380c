"""The HTTP API and web page of `signclip serve` (needs the `serve` extra: fastapi, uvicorn).

`create_app(encoder, index, limits)` builds the FastAPI application; see `app.py` for the routes.
"""
