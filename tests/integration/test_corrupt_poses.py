"""`signclip embed` on corrupt copies of real recordings (3e38, inf and NaN coordinates, flipped
bits): each copy gets a finite embedding or is refused in one line naming it, and the files
around it are still embedded. Such copies once gave NaN embeddings without a word."""

import json
from pathlib import Path

import numpy as np
import pytest
from pose_format import Pose

from signclip.pose.io import read_pose
from signclip.testing import pose_bytes
from tests.integration.cli import run_cli
from tests.unit.serve.helpers import make_model

SOURCES = (
    "sgg-words/kinder.pose",
    "fingerspelling/gsg/fs-sts0258e172d448614da0a939f3f6e57508.pose",
)
FLIPS_PER_VARIANT = (1, 4, 16, 64)
SEEDS = range(5)
EXPONENT_BITS = (30, 29, 27, 23)  # of a float32: a value times or divided by 2^128, 2^64, 2^16, 2


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("corrupt") / "model")


def float_region(data: bytes, name: str) -> tuple[int, int]:
    """(start, number of float32 values) of a file's coordinates and confidences, which end it."""
    frames, people, points, dims = read_pose(data, name=name).body.data.shape
    count = frames * people * points * (dims + 1)
    return len(data) - 4 * count, count


def flip_bits(data: bytes, name: str, seed: int, flips: int, bits=None) -> bytes:
    """`flips` seeded bit flips in the float32 body; `bits` restricts which bit of a value."""
    rng = np.random.default_rng(seed)
    start, count = float_region(data, name)
    out = bytearray(data)
    for value in rng.integers(count, size=flips):
        bit = int(rng.choice(bits)) if bits else int(rng.integers(32))
        out[start + 4 * value + bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def edited(path: Path, edit) -> bytes:
    pose = read_pose(path)
    edit(pose, np.random.default_rng(0))
    return pose_bytes(pose)


def coordinates(pose: Pose) -> np.ndarray:
    return pose.body.data.data[:, 0, :, :3]


def sprinkle(value: float):
    def edit(pose, rng):
        xyz = coordinates(pose)
        xyz[rng.random(xyz.shape) < 0.05] = value

    return edit


def fill(value: float):
    def edit(pose, rng):
        coordinates(pose)[...] = value

    return edit


def nan_confidences(pose, rng):
    confidence = pose.body.confidence
    confidence[rng.random(confidence.shape) < 0.2] = np.nan


def shoulders_together(pose, rng):
    for side, x in (("LEFT", 0), ("RIGHT", 1e-30)):
        point = pose.header.get_point_index("POSE_LANDMARKS", f"{side}_SHOULDER")
        coordinates(pose)[:, point] = [x, 0, 0]


def wild_point(pose, rng):
    wrist = pose.header.get_point_index("RIGHT_HAND_LANDMARKS", "WRIST")
    coordinates(pose)[len(pose.body.data) // 2, wrist, 1] = 9e5  # within 1e6, far off the body


# Variants written with pose-format: (name, edit, refused).
EDITS = [
    *((f"sprinkled-{v:g}", sprinkle(v), False) for v in (3e38, np.inf, -np.inf, np.nan, 1e7)),
    *((f"all-{v:g}", fill(v), True) for v in (3e38, np.inf, np.nan)),
    ("nan-confidences", nan_confidences, False),
    ("shoulders-together", shoulders_together, True),
    ("wild-point", wild_point, True),
]


def write_variants(shared_data: Path, folder: Path) -> tuple[list[Path], dict[Path, bool]]:
    """The variants' paths, and which outcome (refused or not) those that have one must get."""
    folder.mkdir()
    paths, expected = [], {}
    source = shared_data / SOURCES[0]
    for name, edit, refused in EDITS:
        path = folder / f"{name}.pose"
        path.write_bytes(edited(source, edit))
        paths.append(path)
        expected[path] = refused
    for s, relative in enumerate(SOURCES):
        data = (shared_data / relative).read_bytes()
        for flips in FLIPS_PER_VARIANT:
            for seed in SEEDS:
                path = folder / f"source{s}-flips{flips}-seed{seed}.pose"
                path.write_bytes(flip_bits(data, relative, 1000 * s + seed, flips))
                paths.append(path)
        for bit in EXPONENT_BITS:
            path = folder / f"source{s}-exponent-bit{bit}.pose"
            path.write_bytes(flip_bits(data, relative, s, 8, bits=[bit]))
            paths.append(path)
    return paths, expected


def test_corrupt_variants_embed_finite_or_are_refused_by_name(capsys, model, shared_data, tmp_path):
    variants, expected = write_variants(shared_data, tmp_path / "variants")
    good = [shared_data / relative for relative in SOURCES]
    out = tmp_path / "embeddings.jsonl"
    pose_args = [good[0], *variants, good[1]]
    code, printed, err = run_cli(
        capsys, "embed", "--model", model, "--device", "cpu", "--pose", *pose_args, "--out", out
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    embedded = {row["id"] for row in rows}
    refusals = err.strip().splitlines()
    refused = {path for path in map(str, variants) if any(f" {path}: " in r for r in refusals)}

    assert {str(p) for p in good} <= embedded
    assert all(np.isfinite(row["embedding"]).all() for row in rows)
    assert all(line.startswith("refused: ") for line in refusals)
    assert len(refusals) == len(refused)  # one line per refused file, each naming it
    for path in map(str, variants):
        assert (path in embedded) != (path in refused), path
    for path, must_refuse in expected.items():
        assert (str(path) in refused) == must_refuse, path
    assert code == 1  # some variants must be refused
    assert f"embedded {len(embedded)} of {len(pose_args)} files" in printed
