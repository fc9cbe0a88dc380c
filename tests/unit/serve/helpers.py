"""A small model, dataset and index for the serve tests, built in about a second (no training:
the API's behaviour does not depend on what the weights learnt)."""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
import uvicorn

from signclip.config import load_config
from signclip.data.manifest import read_manifest
from signclip.index.build import build_index
from signclip.index.identity import model_identity
from signclip.index.store import SignIndex
from signclip.inference import SignCLIPEncoder
from signclip.models.contract import ModelContract
from signclip.models.factory import build_model, build_tokenizer
from signclip.models.io import save_model
from signclip.pose.features import feature_layout
from signclip.testing import fake_holistic_pose

TEXTS = ("house", "tree", "water")
LANGUAGES = ("ase", "bfi")


def tiny_model(seed: int = 0):
    """(model, tokenizer) of the tiny preset with a 32-frame context and random weights."""
    cfg = load_config("tiny", ["model.max_frames=32"])
    tokenizer = build_tokenizer(cfg.model)
    tokenizer.add_language_tags([f"<{tag}>" for tag in ("en", *LANGUAGES)])
    torch.manual_seed(seed)
    num_features = feature_layout(cfg.pose).num_features
    return build_model(cfg.model, cfg.pose, num_features, tokenizer).eval(), tokenizer


PROMPT = "<{spoken_language}> <{sign_language}> {text}"


def tiny_encoder(seed: int = 0) -> SignCLIPEncoder:
    model, tokenizer = tiny_model(seed)
    return SignCLIPEncoder(model, tokenizer, ModelContract.of(model, tokenizer, PROMPT), "cpu")


def make_model(folder: Path, seed: int = 0) -> Path:
    save_model(folder, *tiny_model(seed), prompt=PROMPT)
    return folder


def make_dataset(folder: Path, clips_per_text: int = 2) -> Path:
    """Fake holistic clips of each text in each language, 12 to 40 frames, and their manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for t, text in enumerate(TEXTS):
        for s, language in enumerate(LANGUAGES):
            for c in range(clips_per_text):
                clip_id = f"{language}-{text}-{c}"
                pose = fake_holistic_pose(num_frames=12 + 7 * c + 3 * t, seed=100 * t + 10 * s + c)
                with (folder / f"{clip_id}.pose").open("wb") as out:
                    pose.write(out)
                rows.append([clip_id, f"{clip_id}.pose", text, "en", language, "test"])
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "pose", "text", "spoken_language", "sign_language", "split"])
        writer.writerows(rows)
    return manifest


def make_index(model: Path, manifest: Path, folder: Path) -> SignIndex:
    encoder = SignCLIPEncoder.from_pretrained(model, device="cpu")
    return build_index(
        encoder,
        read_manifest(manifest),
        folder / "index",
        progress=False,
        identity=model_identity(model),
        cache_dir=folder / "cache",
    )


def make_all(root: Path) -> tuple[Path, Path, Path]:
    """(model folder, manifest, index folder) under `root`."""
    model = make_model(root / "model")
    manifest = make_dataset(root / "data")
    make_index(model, manifest, root)
    return model, manifest, root / "index"


@contextmanager
def live_server(app) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port in a thread; yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
