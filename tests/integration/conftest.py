import csv
from pathlib import Path

import pytest

from signclip.cli.main import main
from signclip.config import load_config
from signclip.testing import fake_holistic_pose
from signclip.training.loop import train

TEXTS = ["house", "tree", "water", "friend"]


def write_tiny_dataset(folder: Path, clips_per_text: int = 4, long_every: int = 0) -> Path:
    """A manifest of fake holistic clips: 4 texts, train and dev splits, varied lengths."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for t, text in enumerate(TEXTS):
        for c in range(clips_per_text):
            clip_id = f"{text}-{c}"
            frames = 12 + 5 * c + t
            if long_every and c % long_every == 0:
                frames = 80
            pose = fake_holistic_pose(num_frames=frames, seed=100 * t + c)
            with (folder / f"{clip_id}.pose").open("wb") as out:
                pose.write(out)
            split = "dev" if c == clips_per_text - 1 else "train"
            rows.append([clip_id, f"{clip_id}.pose", text, "en", "ase", split, f"s{c % 2}"])
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["id", "pose", "text", "spoken_language", "sign_language", "split", "signer"]
        )
        writer.writerows(rows)
    return manifest


@pytest.fixture
def tiny_manifest(tmp_path) -> Path:
    return write_tiny_dataset(tmp_path / "data")


def tiny_overrides(manifest: Path, out_dir: Path, *extra: str) -> list[str]:
    return [
        f"data.manifest={manifest}",
        f"train.out_dir={out_dir}",
        "data.workers=1",
        "model.max_frames=32",
        *extra,
    ]


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """One tiny trained run shared by the CLI and inference tests."""
    from signclip.config import load_config
    from signclip.training.loop import train

    root = tmp_path_factory.mktemp("trained")
    manifest = write_tiny_dataset(root / "data", long_every=3)
    run = train(load_config("tiny", tiny_overrides(manifest, root / "run")))
    return run, manifest


@pytest.fixture(scope="module")
def dictionary_and_model(tmp_path_factory):
    """A generated 3-language dictionary written as features only (`synth --cache-only`, no
    `.pose` files) and a tiny model trained on it for one epoch."""
    root = tmp_path_factory.mktemp("analyze")
    data = root / "dictionary"
    synth = ["synth", "--out", str(data), "--concepts", "12", "--languages", "3"]
    synth += ["--signers", "3", "--clips-per-sign", "2", "--workers", "1", "--no-progress"]
    assert main([*synth, "--cache-only", "reduced-face"]) == 0
    manifest = data / "manifest.csv"
    overrides = [
        f"data.manifest={manifest}",
        f"train.out_dir={root / 'run'}",
        "data.workers=1",
        "model.max_frames=64",
        "train.epochs=1",
    ]
    run = train(load_config("tiny", overrides))
    return manifest, run.model
