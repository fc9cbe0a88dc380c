import json

import numpy as np
import pytest

from tests.integration.cli import run_cli

from .conftest import tiny_overrides


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("train.lrr=1", "train.lrr"),
        ("train.epochs=many", "train.epochs"),
        ("model.arch=huge", "model.arch"),
        ("train.epochs=0", "train.epochs"),
        ("train.lr=0", "train.lr"),
        ("nosuchsection.x=1", "nosuchsection"),
        ("data.manifest=/nonexistent/clips.csv", "/nonexistent/clips.csv"),
    ],
)
def test_bad_settings_give_one_line_and_exit_1(capsys, tmp_path, override, named):
    code, _, err = run_cli(
        capsys, "train", "--config", "tiny", "--set", f"train.out_dir={tmp_path}", "--set", override
    )
    assert code == 1
    assert named in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_config_file(capsys):
    code, _, err = run_cli(capsys, "train", "--config", "/no/such.yaml")
    assert code == 1 and "/no/such.yaml" in err


def test_train_then_eval_writes_json_and_table(capsys, tiny_manifest, tmp_path):
    sets = [x for o in tiny_overrides(tiny_manifest, tmp_path / "run") for x in ("--set", o)]
    code, out, _ = run_cli(capsys, "train", "--config", "tiny", *sets)
    assert code == 0 and "model:" in out
    model = out.split("model:")[1].split()[0]
    report = tmp_path / "eval.json"
    code, out, _ = run_cli(
        capsys,
        "eval",
        "--model",
        model,
        "--manifest",
        str(tiny_manifest),
        "--split",
        "dev",
        "--out",
        str(report),
    )
    assert code == 0
    assert "pose→text" in out and "chance" in out
    metrics = json.loads(report.read_text())
    assert metrics["pose_to_text"]["candidates"] == 4
    assert 0.0 <= metrics["pose_to_text"]["R@1"] <= 1.0


def test_embed_texts_and_poses_with_bad_files(capsys, trained_run, tmp_path):
    run, manifest = trained_run
    out = tmp_path / "texts.npz"
    code, _, _ = run_cli(
        capsys, "embed", "--model", str(run.model), "--text", "a", "b c", "--out", str(out)
    )
    assert code == 0
    saved = np.load(out)
    assert saved["ids"].tolist() == ["a", "b c"] and saved["embeddings"].shape[0] == 2

    good = manifest.parent / "house-0.pose"
    empty = tmp_path / "empty.pose"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.pose"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    missing = tmp_path / "missing.pose"
    out = tmp_path / "poses.jsonl"
    code, _, err = run_cli(
        capsys,
        "embed",
        "--model",
        str(run.model),
        "--pose",
        str(good),
        str(empty),
        str(truncated),
        str(missing),
        "--out",
        str(out),
    )
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 3
    for bad in (empty, truncated, missing):
        assert any(str(bad) in line for line in lines)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [str(good)]


def test_debug_flag_shows_the_traceback(capsys):
    code, _, err = run_cli(capsys, "--debug", "train", "--config", "tiny", "--set", "x.y=1")
    assert code == 1 and "Traceback" in err


def test_real_recordings_of_every_layout_embed_or_are_refused(capsys, trained_run, shared_data):
    run, _ = trained_run
    accepted = [
        shared_data / "video/autsl/signer0_sample1000.pose",  # 543 points, 4 dims
        shared_data / "dgs-dictionary/HOUSE1A^.pose",  # 576 points, 50 fps
        shared_data / "dgs-dictionary/stitched.pose",  # 178 points, 565 frames: windows
        shared_data / "pose-format/hand_estimation_6fb01565da31c5500d1ef2cd2906b06b.pose",  # 586
    ]
    refused = [
        shared_data / "pose-format/openpose.pose",
        shared_data / "pose-format/mediapipe_hand_normalized.pose",
    ]
    out = run.path / "real.npz"
    code, _, err = run_cli(
        capsys,
        "embed",
        "--model",
        str(run.model),
        "--pose",
        *map(str, accepted + refused),
        "--out",
        str(out),
    )
    assert code == 1
    saved = np.load(out)
    assert saved["ids"].tolist() == [str(p) for p in accepted]
    assert np.isfinite(saved["embeddings"]).all()
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert "openpose.pose" in lines[0] and "reduced-face" in lines[0]
    assert "hand_normalized" in lines[1]
