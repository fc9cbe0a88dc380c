from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from signclip.serve.body_limit import BodyLimitMiddleware

LIMIT = 1000


async def echo_size(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"size": len(body), "head": body[:4].decode()})


def client() -> TestClient:
    app = Starlette(routes=[Route("/", echo_size, methods=["POST"])])
    app.add_middleware(BodyLimitMiddleware, max_bytes=LIMIT)
    return TestClient(app)


def test_bodies_up_to_the_limit_arrive_whole():
    response = client().post("/", content=b"abcd" + b"x" * (LIMIT - 4))
    assert response.status_code == 200
    assert response.json() == {"size": LIMIT, "head": "abcd"}


def test_declared_length_over_the_limit_is_refused_unread():
    response = client().post("/", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert "declared 1001 bytes" in response.json()["detail"]


def test_chunked_body_is_cut_off_once_over_the_limit():
    def chunks():
        for _ in range(50):
            yield b"y" * 100

    response = client().post("/", content=chunks())
    assert response.status_code == 413
    assert "more than 1000 bytes" in response.json()["detail"]


def test_chunked_body_under_the_limit_passes():
    response = client().post("/", content=iter([b"ab", b"cd", b"ef"]))
    assert response.json() == {"size": 6, "head": "abcd"}


def test_bad_content_length_is_refused():
    response = client().post("/", content=b"abc", headers={"content-length": "-5"})
    assert response.status_code == 400
