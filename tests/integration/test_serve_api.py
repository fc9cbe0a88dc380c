"""The HTTP API against the library it wraps: same embeddings, same search results."""

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from signclip.index.query import search_pose, search_text
from signclip.index.store import SignIndex
from signclip.inference import SignCLIPEncoder
from signclip.serve.app import create_app
from signclip.serve.limits import ServeLimits
from signclip.testing import fake_holistic_pose, pose_bytes
from tests.integration.cli import run_cli
from tests.unit.serve.helpers import LANGUAGES, live_server, make_all, make_model

LIMITS = ServeLimits(max_body_bytes=2_000_000, max_batch=8, max_text_chars=200, max_frames=400)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    model, manifest, index_path = make_all(tmp_path_factory.mktemp("serve"))
    encoder = SignCLIPEncoder.from_pretrained(model, device="cpu")
    return encoder, SignIndex.load(index_path), manifest


@pytest.fixture(scope="module")
def client(built):
    encoder, index, _ = built
    with TestClient(create_app(encoder, index, LIMITS, model_name="tiny")) as test_client:
        yield test_client


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def clip_bytes(frames: int, seed: int) -> bytes:
    return pose_bytes(fake_holistic_pose(num_frames=frames, seed=seed))


def test_embed_text_and_pose_equal_the_library(client, built):
    encoder, _, _ = built
    texts = ["<en> <ase> house", "tree", "a longer text with <en> inside"]
    got = np.array(client.post("/api/embed/text", json={"text": texts}).json()["embeddings"])
    assert np.abs(got - encoder.embed_texts(texts)).max() <= 1e-5
    clips = [clip_bytes(n, seed=n) for n in (5, 40, 70)]  # 40 and 70 frames need windows
    response = client.post("/api/embed/pose", json={"pose": [b64(c) for c in clips]})
    got = np.array(response.json()["embeddings"])
    expected = encoder.embed_poses([fake_holistic_pose(num_frames=n, seed=n) for n in (5, 40, 70)])
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-5


def test_original_get_form_and_upload_give_the_same_vectors(client):
    clips = [clip_bytes(9, seed=1), clip_bytes(17, seed=2)]
    body = {"pose": [b64(c) for c in clips], "model_name": "default"}
    posted = client.post("/api/embed/pose", json=body).json()
    fetched = client.request("GET", "/api/embed/pose", content=json.dumps(body)).json()
    files = [("files", (f"c{i}.pose", c, "application/octet-stream")) for i, c in enumerate(clips)]
    uploaded = client.post("/api/embed/pose/upload", files=files).json()
    assert posted == fetched == uploaded
    texts = {"text": ["<en> <ase> house"]}
    assert (
        client.post("/api/embed/text", json=texts).json()
        == client.request("GET", "/api/embed/text", content=json.dumps(texts)).json()
    )


def test_text_search_equals_the_index_query(client, built):
    encoder, index, _ = built
    for language in (None, *LANGUAGES):
        body = {"text": "house", "k": 5, "sign_language": language}
        answer = client.post("/api/search", json=body).json()
        expected = search_text(encoder, index, "house", k=5, sign_language=language)
        assert [c["clip_id"] for c in answer["clips"]] == [h.clip_id for h in expected]
        assert np.allclose([c["score"] for c in answer["clips"]], [h.score for h in expected])
        assert [c["rank"] for c in answer["clips"]] == list(range(1, 6))
        if language:
            assert {c["sign_language"] for c in answer["clips"]} == {language}
            assert answer["prompts"] == [f"<en> <{language}> house"]


def test_pose_search_finds_clips_and_texts(client, built):
    encoder, index, manifest = built
    path = manifest.parent / "bfi-tree-1.pose"
    answer = client.post("/api/search", json={"pose": b64(path.read_bytes()), "k": 4}).json()
    expected = search_pose(encoder, index, str(path), k=4)
    assert [c["clip_id"] for c in answer["clips"]] == [h.clip_id for h in expected]
    assert answer["clips"][0]["clip_id"] == "bfi-tree-1"  # the clip itself is in the index
    # The texts: every distinct prompt of the index, scored one by one.
    prompts = sorted({f"<en> <{r.sign_language}> {r.text}" for r in index.records})
    scores = encoder.similarity(encoder.embed_poses([str(path)]), encoder.embed_texts(prompts))[0]
    best = np.argsort(-scores, kind="stable")[:4]
    assert [t["prompt"] for t in answer["texts"]] == [prompts[i] for i in best]
    assert np.allclose([t["score"] for t in answer["texts"]], scores[best], atol=1e-5)


def test_clip_frames_and_page(client, built):
    _, index, _ = built
    drawing = client.get("/api/clips/ase-house-1/frames").json()
    assert len(drawing["frames"]) == 19  # 12 + 7 frames
    assert drawing["parts"] and drawing["width"] > 0 and drawing["fps"] > 0
    assert client.get("/api/clips/nope/frames").status_code == 404
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    for asset in ("/", "/static/app.js", "/static/style.css"):  # offline: nothing from the web
        text = client.get(asset).text
        assert "http://" not in text and "https://" not in text, asset
    info = client.get("/api/info").json()
    assert info["sign_languages"] == list(LANGUAGES) and info["index_size"] == len(index)
    assert client.get("/health").json()["status"] == "ok"


def test_openapi_documents_the_api(client):
    schema = client.get("/openapi.json").json()
    for path in ("/api/embed/text", "/api/embed/pose", "/api/embed/pose/upload", "/api/search"):
        assert "post" in schema["paths"][path]
    assert "/api/clips/{clip_id}/frames" in schema["paths"]
    for model in ("TextEmbedRequest", "PoseEmbedRequest", "EmbedResponse", "SearchResponse"):
        assert model in schema["components"]["schemas"]


GOOD_POSE = b64(clip_bytes(10, seed=0))
# (what was sent, expected status). Each answer must be a 4xx with a one-line `detail`.
BAD_PAYLOADS = [
    ("text: not JSON", "/api/embed/text", b"{not json", 422),
    ("text: empty body", "/api/embed/text", b"", 422),
    ("text: JSON list, not object", "/api/embed/text", b'["house"]', 422),
    ("text: wrong key", "/api/embed/text", b'{"texts": ["house"]}', 422),
    ("text: extra key", "/api/embed/text", b'{"text": ["a"], "x": 1}', 422),
    ("text: number item", "/api/embed/text", b'{"text": [1]}', 422),
    ("text: string, not list", "/api/embed/text", b'{"text": "house"}', 422),
    ("text: NaN item", "/api/embed/text", b'{"text": [NaN]}', 422),
    ("text: empty list", "/api/embed/text", b'{"text": []}', 422),
    ("text: blank text", "/api/embed/text", b'{"text": ["  "]}', 422),
    ("text: too long", "/api/embed/text", json.dumps({"text": ["x" * 201]}).encode(), 413),
    ("text: too many", "/api/embed/text", json.dumps({"text": ["a"] * 9}).encode(), 413),
    ("pose: base64 garbage", "/api/embed/pose", b'{"pose": ["@@@"]}', 422),
    ("pose: empty string", "/api/embed/pose", b'{"pose": [""]}', 422),
    (
        "pose: not a .pose",
        "/api/embed/pose",
        json.dumps({"pose": [b64(b"%PDF-1.4" * 40)]}).encode(),
        422,
    ),
    (
        "pose: truncated",
        "/api/embed/pose",
        json.dumps({"pose": [b64(clip_bytes(10, 0)[:-50])]}).encode(),
        422,
    ),
    (
        "pose: too many frames",
        "/api/embed/pose",
        json.dumps({"pose": [b64(clip_bytes(401, 0))]}).encode(),
        413,
    ),
    (
        "pose: body too large",
        "/api/embed/pose",
        json.dumps({"pose": ["A" * 2_000_000]}).encode(),
        413,
    ),
    ("pose: null item", "/api/embed/pose", b'{"pose": [null]}', 422),
    ("search: neither text nor pose", "/api/search", b'{"k": 3}', 422),
    (
        "search: both text and pose",
        "/api/search",
        json.dumps({"text": "a", "pose": GOOD_POSE}).encode(),
        422,
    ),
    ("search: k = 0", "/api/search", b'{"text": "house", "k": 0}', 422),
    ("search: k NaN", "/api/search", b'{"text": "house", "k": NaN}', 422),
    ("search: k string", "/api/search", b'{"text": "house", "k": "5"}', 422),
    ("search: k too large", "/api/search", b'{"text": "house", "k": 101}', 422),
    ("search: unknown language", "/api/search", b'{"text": "house", "sign_language": "xx"}', 422),
    (
        "search: unknown spoken language",
        "/api/search",
        b'{"text": "house", "spoken_language": "xx"}',
        422,
    ),
    (
        "search: spoken language on a pose query",
        "/api/search",
        b'{"pose": "AAAA", "spoken_language": "en"}',
        422,
    ),
]


@pytest.mark.parametrize(
    ("what", "path", "body", "status"), BAD_PAYLOADS, ids=[b[0] for b in BAD_PAYLOADS]
)
def test_bad_payloads_get_a_4xx_and_one_line(client, what, path, body, status):
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail
    # The worker survived: a good request still works.
    assert client.post("/api/embed/pose", json={"pose": [GOOD_POSE]}).status_code == 200


def test_upload_of_a_bad_file_and_search_without_index(built):
    encoder, _, _ = built
    with TestClient(create_app(encoder, None, LIMITS)) as bare:
        files = [("files", ("x.pose", b"\x00" * 3, "application/octet-stream"))]
        refused = bare.post("/api/embed/pose/upload", files=files)
        assert refused.status_code == 422 and "x.pose" in refused.json()["detail"]
        assert bare.post("/api/search", json={"text": "house"}).status_code == 409
        assert bare.get("/api/info").json()["sign_languages"] == []


def test_full_queue_answers_503(built):
    encoder, _, _ = built
    gate, entered = threading.Event(), threading.Event()
    original = encoder.embed_texts

    def held(texts):
        entered.set()
        gate.wait(10)
        return original(texts)

    slow = SignCLIPEncoder(encoder.model, encoder.tokenizer, encoder.contract, device="cpu")
    slow.embed_texts = held
    app = create_app(slow, None, ServeLimits(queue_size=1, batch_wait_ms=0))
    with TestClient(app) as test_client, ThreadPoolExecutor(2) as pool:
        body = {"text": ["house"]}
        first = pool.submit(test_client.post, "/api/embed/text", json=body)
        assert entered.wait(10)
        second = pool.submit(test_client.post, "/api/embed/text", json=body)
        while app.state.batcher.waiting < 1:
            threading.Event().wait(0.01)
        busy = test_client.post("/api/embed/text", json=body)
        gate.set()
        assert busy.status_code == 503 and "busy" in busy.json()["detail"]
        assert first.result(10).status_code == second.result(10).status_code == 200


def test_concurrent_requests_on_a_live_server_equal_one_by_one(built):
    encoder, index, _ = built
    app = create_app(encoder, index, LIMITS)
    texts = [f"<en> <ase> word {i}" for i in range(24)]
    clips = [clip_bytes(8 + 3 * i, seed=i) for i in range(24)]
    expected_text = encoder.embed_texts(texts)
    expected_pose = encoder.embed_poses(
        [fake_holistic_pose(num_frames=8 + 3 * i, seed=i) for i in range(24)]
    )

    def ask(i: int):
        if i % 2:
            response = http.post("/api/embed/text", json={"text": [texts[i]]})
        else:
            response = http.post("/api/embed/pose", json={"pose": [b64(clips[i])]})
        return i, response.status_code, response.json()

    limits = httpx.Limits(max_connections=16)
    with (
        live_server(app) as url,
        httpx.Client(base_url=url, timeout=30, limits=limits) as http,
        ThreadPoolExecutor(16) as pool,
    ):
        answers = list(pool.map(ask, range(24)))
    batches = app.state.batcher.batches_run
    for i, status, body in answers:
        assert status == 200, body
        expected = expected_text[i] if i % 2 else expected_pose[i]
        assert np.abs(np.array(body["embeddings"][0]) - expected).max() <= 1e-5
    assert batches < 24  # some requests were merged


def test_clip_whose_pose_file_is_gone_is_not_found(built, tmp_path):
    encoder, index, _ = built
    record = replace(index.get("ase-tree-0"), clip_id="gone", pose_path=tmp_path / "gone.pose")
    small = SignIndex(index.dim, index.model, index.vector("ase-tree-0")[None], [record])
    with TestClient(create_app(encoder, small, LIMITS)) as test_client:
        response = test_client.get("/api/clips/gone/frames")
    assert response.status_code == 404
    assert "gone.pose: no such file" in response.json()["detail"]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--max-body-mb", "nan"),
        ("--max-body-mb", "inf"),
        ("--threads", "-1"),
        ("--max-connections", "0"),
        ("--batch-wait-ms", "inf"),
        ("--device", "bogus"),
    ],
)
def test_serve_refuses_bad_options_in_one_line(capsys, tmp_path, option, value):
    model = make_model(tmp_path / "model")
    code, _, err = run_cli(capsys, "serve", "--model", model, "--port", "0", option, value)
    assert code == 1 and err.count("\n") == 1 and "internal error" not in err, err
